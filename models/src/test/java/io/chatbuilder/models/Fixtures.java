package io.chatbuilder.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.ToolDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import mockwebserver3.MockResponse;

/** Shared test data: recorded streams, requests, and a sleeper that records instead of sleeping. */
final class Fixtures {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String SECRET_KEY = "sk-test-0123456789abcdefSECRET";

  private Fixtures() {}

  /** A recorded stream from the test resources, byte for byte. */
  static byte[] stream(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String streamText(String name) {
    return new String(stream(name), StandardCharsets.UTF_8);
  }

  static MockResponse sse(String body) {
    return new MockResponse.Builder()
        .setHeader("Content-Type", "text/event-stream; charset=utf-8")
        .body(body)
        .build();
  }

  static ToolDefinition tool(String name, String... requiredStringProperties) {
    ObjectNode schema = MAPPER.createObjectNode().put("type", "object");
    ObjectNode properties = schema.putObject("properties");
    var required = schema.putArray("required");
    for (String p : requiredStringProperties) {
      properties.putObject(p).put("type", "string");
      required.add(p);
    }
    return new ToolDefinition(name, "Tool " + name, schema);
  }

  static List<ToolDefinition> tools() {
    return List.of(tool("write_file", "path", "content"), tool("read_file", "path"), tool("list_files"),
        tool("search_files", "query"));
  }

  static ModelRequest request(String userText) {
    return new ModelRequest("You build web apps.", List.of(new ChatMessage.User(userText)), tools(), OptionalInt.empty());
  }

  /** A conversation with every message kind: user, assistant with two calls (one with invalid args), results, a note. */
  static ModelRequest conversation() {
    return new ModelRequest("You build web apps.", List.of(
        new ChatMessage.User("make a page"),
        new ChatMessage.Assistant("Writing it.", List.of(
            new ToolCall("call_A", "write_file", "{\"path\":\"index.html\",\"content\":\"<h1>Hi</h1>\"}"),
            new ToolCall("call_B", "read_file", "{\"path\": \"pack"))),
        new ChatMessage.ToolResult("call_A", "write_file", "wrote index.html (11 bytes)", false),
        new ChatMessage.ToolResult("call_B", "read_file", "invalid JSON arguments", true),
        new ChatMessage.Note("the person undid your last change"),
        new ChatMessage.Assistant("", List.of()),
        new ChatMessage.User("now add a footer")), tools(), OptionalInt.of(1024));
  }

  /** Records every stream callback in order: {@code text:}, {@code reasoning:}, {@code start:id:name}, {@code input:id:fragment}. */
  static final class RecordingListener implements ModelStreamListener {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void onTextDelta(String text) {
      calls.add("text:" + text);
    }

    @Override
    public void onReasoningDelta(String text) {
      calls.add("reasoning:" + text);
    }

    @Override
    public void onToolCallStarted(String callId, String toolName) {
      calls.add("start:" + callId + ":" + toolName);
    }

    @Override
    public void onToolInputDelta(String callId, String fragment) {
      calls.add("input:" + callId + ":" + fragment);
    }

    /** The concatenated fragments of one call. */
    String input(String callId) {
      StringBuilder out = new StringBuilder();
      for (String c : calls) {
        if (c.startsWith("input:" + callId + ":")) {
          out.append(c.substring(("input:" + callId + ":").length()));
        }
      }
      return out.toString();
    }
  }

  /** Records requested retry delays without waiting. */
  /**
   * A "random" source that always lands at {@code fraction} (in [0, 1)) of the range asked for, so
   * a jittered backoff is exact: with jitter 0.5, 0.0 gives the lower end (half the backoff) and 0.5
   * three quarters of it.
   */
  static RandomGenerator fraction(double fraction) {
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("fraction must be in [0, 1)");
    }
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException("only bounded draws are fixed");
      }

      @Override
      public long nextLong(long bound) {
        return (long) (fraction * bound);
      }
    };
  }

  static final class RecordingSleeper implements Sleeper {
    final List<Duration> delays = new CopyOnWriteArrayList<>();

    @Override
    public void sleep(Duration duration, Cancellation cancellation) {
      if (cancellation.isCancelled()) {
        throw new CancelledException("cancelled");
      }
      delays.add(duration);
    }
  }
}
