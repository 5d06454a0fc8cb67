package io.chatbuilder.bench;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.sandbox.local.ChangeDetection;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * B9: the agent loop's overhead: one run of a scripted model making N tool calls (alternating
 * write_file and read_file of small files, one call per turn) against the same N sandbox operations
 * called directly.
 */
final class AgentLoopBench {
  private static final int FILES = 50;
  private static final int FILE_BYTES = 1024;

  private final BenchConfig config;

  AgentLoopBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    Path base = config.workDir().resolve("b9");
    Workspace.deleteTree(base);
    int calls = config.agentToolCalls();
    Measure m = config.slowMeasure();
    Stats direct;
    try (LocalSandbox sandbox = LocalSandbox.builder(base.resolve("direct")).unisolated().build()) {
      direct = m.run(i -> {
        for (Op op : plan(calls, i)) {
          if (op.content() != null) {
            sandbox.write(op.path(), op.content());
          } else {
            sandbox.read(op.path());
          }
        }
      });
    }
    Path tree = base.resolve("agent");
    int[] steps = new int[1];
    ChatBuilder[] builder = new ChatBuilder[1];
    Stats agent;
    try {
      agent = m.run(i -> {
        // A fresh facade per run (untimed), so every run starts with the same empty conversation.
        if (builder[0] != null) {
          builder[0].close();
        }
        ScriptedAgent script = new ScriptedAgent();
        List<ScriptedAgent.Call> planned = new ArrayList<>();
        for (Op op : plan(calls, i)) {
          planned.add(op.content() != null ? ScriptedAgent.writeFile(op.path(), op.content()) : ScriptedAgent.readFile(op.path()));
        }
        script.plan(planned);
        builder[0] = Facades.open(script, new InMemoryCheckpointStore(), tree, ChangeDetection.STAT_EVERY_SCAN, calls + 5);
        builder[0].initialize(app(i));
      }, i -> {
        RunResult result = Facades.chat(builder[0], app(i), "do " + calls + " things");
        steps[0] = result.steps();
        int made = result.toolSummary().values().stream().mapToInt(Integer::intValue).sum();
        CheckpointBench.check(made == calls, "B9: the run made " + made + " tool calls, expected " + calls);
      });
    } finally {
      if (builder[0] != null) {
        builder[0].close();
      }
    }
    Workspace.deleteTree(base);
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("tool_calls", calls);
    sizes.put("model_turns", steps[0]);
    sizes.put("files", FILES);
    sizes.put("file_bytes", FILE_BYTES);
    Result r = Result.timed("B9", "B9 agent loop, " + calls + " tool calls", Optional.of("memory"),
        "chat run: ScriptedModel, " + calls + " tool calls (1 per turn) + agent_run checkpoint", agent,
        "the same " + calls + " LocalSandbox operations called directly", direct, 0, "", sizes, Map.of());
    return List.of(CheckpointBench.withTarget(r, "ratio >= 0.91 (ours <= 1.1x)", r.ratio() >= 1 / 1.1));
  }

  private static String app(int i) {
    return "bench-agent-" + i;
  }

  private record Op(String path, byte[] content) {}

  /** Alternating writes (new bytes each round) and reads of the file just written. */
  private static List<Op> plan(int calls, int round) {
    List<Op> ops = new ArrayList<>(calls);
    for (int k = 0; k < calls; k++) {
      String path = "src/data/file" + (k / 2) % FILES + ".txt";
      if (k % 2 == 0) {
        byte[] content = new byte[FILE_BYTES];
        java.util.Arrays.fill(content, (byte) 'x');
        byte[] stamp = ("round " + round + " op " + k + "\n").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(stamp, 0, content, 0, stamp.length);
        content[FILE_BYTES - 1] = '\n';
        ops.add(new Op(path, content));
      } else {
        ops.add(new Op(path, null));
      }
    }
    return ops;
  }
}
