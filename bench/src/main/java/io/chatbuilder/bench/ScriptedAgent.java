package io.chatbuilder.bench;

import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The model side of the benchmarks: a {@link ScriptedModel} that answers each request with the next
 * planned tool call (one per turn, as a model usually does), then with a final text. The plan is set
 * before each run; runs are sequential.
 */
final class ScriptedAgent {
  private static final JsonCodec JSON = new JsonCodec();

  /** One planned tool call. */
  record Call(String tool, String argumentsJson) {}

  private final Deque<Call> plan = new ArrayDeque<>();
  private final ScriptedModel model = ScriptedModel.responding(this::next);
  private long callIds;

  ScriptedModel model() {
    return model;
  }

  /** The tool calls of the next run, in order (none: the model just answers). */
  synchronized void plan(List<Call> calls) {
    plan.clear();
    plan.addAll(calls);
  }

  private synchronized Optional<ScriptedModel.Turn> next(ModelRequest request) {
    Call call = plan.pollFirst();
    if (call == null) {
      return Optional.of(ScriptedModel.Turn.builder().text("Done.").build());
    }
    return Optional.of(ScriptedModel.Turn.builder()
        .toolCall("call_" + (++callIds), call.tool(), call.argumentsJson())
        .build());
  }

  static Call writeFile(String path, byte[] content) {
    return new Call("write_file", json(Map.of("path", path, "content", new String(content, StandardCharsets.UTF_8))));
  }

  static Call readFile(String path) {
    return new Call("read_file", json(Map.of("path", path)));
  }

  private static String json(Map<String, String> args) {
    return JSON.write(JSON.fromJava(args));
  }
}
