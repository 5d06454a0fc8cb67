package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.MAPPER;
import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.streamText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real agent loop (the core facade) driving each provider's client against recorded streams:
 * the run must produce the same events as with {@link ScriptedModel} playing the same turns.
 */
class AgentLoopConversationTest {
  private static final String WRITE_INDEX = "{\"path\":\"index.html\",\"content\":\"<h1>Hi</h1>\\n"
      + "<link rel=\\\"stylesheet\\\" href=\\\"style.css\\\">\\n\"}";
  private static final String WRITE_STYLE = "{\"path\":\"style.css\",\"content\":\"h1 { color: tomato; }\\n\"}";
  private static final String READ_INDEX = "{\"path\":\"index.html\"}";

  private MockWebServer server;
  private final List<ChatBuilder> builders = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stop() {
    builders.forEach(ChatBuilder::close);
    server.close();
  }

  private static ScriptedModel scripted() {
    return ScriptedModel.builder()
        .turn(t -> t.text("I'll create ").text("the page.")
            .streamedToolCall("call_W1", "write_file", List.of(WRITE_INDEX.substring(0, 40), WRITE_INDEX.substring(40)))
            .streamedToolCall("call_W2", "write_file", List.of(WRITE_STYLE.substring(0, 20), WRITE_STYLE.substring(20)))
            .usage(1200, 95))
        .turn(t -> t.streamedToolCall("call_R1", "read_file", List.of(READ_INDEX)).usage(1400, 18))
        .turn(t -> t.text("Done: ").text("index.html and style.css.").usage(1500, 9))
        .build();
  }

  private OpenAiChatModel openAi() {
    return OpenAiChatModel.builder().baseUrl(server.url("/v1/").toString()).apiKey(SECRET_KEY).model("gpt-4.1")
        .retryPolicy(RetryPolicy.NONE).build();
  }

  private AnthropicChatModel anthropic() {
    return AnthropicChatModel.builder().baseUrl(server.url("/").toString()).apiKey(SECRET_KEY).model("claude-sonnet-4-5")
        .retryPolicy(RetryPolicy.NONE).build();
  }

  private Run chat(ModelClient model) throws Exception {
    InMemorySandbox sandbox = InMemorySandbox.builder("app").build();
    ChatBuilder builder = ChatBuilder.builder().model(model).sandboxes(appId -> sandbox).build();
    builders.add(builder);
    RunHandle run = builder.chat("app", "make a page");
    RunResult result = run.completion().get(60, TimeUnit.SECONDS);
    return new Run(result, run.events(), sandbox);
  }

  private record Run(RunResult result, List<Event> events, InMemorySandbox sandbox) {}

  /** An event without what differs between two runs of the same script (ids, times, model name). */
  private static String describe(Event e) {
    if (e instanceof Event.AssistantDelta d) {
      return d.type() + " " + d.step() + " " + d.text();
    } else if (e instanceof Event.AssistantMessage m) {
      return m.type() + " " + m.step() + " " + m.text() + " " + m.usage();
    } else if (e instanceof Event.ToolStarted t) {
      return t.type() + " " + t.callId() + " " + t.toolName() + " " + t.arguments();
    } else if (e instanceof Event.ToolCompleted t) {
      return t.type() + " " + t.callId() + " " + t.toolName() + " " + t.summary();
    } else if (e instanceof Event.ToolFailed t) {
      return t.type() + " " + t.callId() + " " + t.toolName() + " " + t.error();
    } else if (e instanceof Event.FileChanges f) {
      return f.type() + " " + f.changes();
    } else if (e instanceof Event.CheckpointCreated c) {
      return c.type() + " " + c.checkpoint().type() + " " + c.checkpoint().stats() + " " + c.checkpoint().toolSummary();
    } else if (e instanceof Event.RunCompleted r) {
      return r.type() + " " + r.steps() + " " + r.usage() + " " + r.toolSummary();
    } else if (e instanceof Event.RunFailed r) {
      return r.type() + " " + r.errorCode();
    }
    return e.type();
  }

  /**
   * The events described; a call's tool_input_delta events are one entry (where its first one is)
   * with the fragments joined, since how fragments coalesce depends on when they arrive.
   */
  private static List<String> describe(List<Event> events) {
    Map<String, StringBuilder> input = new LinkedHashMap<>();
    for (Event e : events) {
      if (e instanceof Event.ToolInputDelta d) {
        input.computeIfAbsent(d.callId(), id -> new StringBuilder()).append(d.fragment());
      }
    }
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Event e : events) {
      if (e instanceof Event.ToolInputDelta d) {
        if (seen.add(d.callId())) {
          out.add(d.type() + " " + d.callId() + " " + d.toolName() + " " + input.get(d.callId()));
        }
      } else {
        out.add(describe(e));
      }
    }
    return out;
  }

  private void assertSameRunAsScripted(Run real) throws Exception {
    Run expected = chat(scripted());
    assertThat(expected.result().outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(real.result().outcome()).as(real.result().error().orElse("")).isEqualTo(RunOutcome.COMPLETED);
    assertThat(describe(real.events())).containsExactlyElementsOf(describe(expected.events()));
    assertThat(real.events().get(real.events().size() - 1)).isInstanceOf(Event.RunCompleted.class);
    List<String> types = real.events().stream().map(Event::type).toList();
    assertThat(types).filteredOn("assistant_delta"::equals).hasSize(4);
    assertThat(types).filteredOn("assistant_message"::equals).hasSize(3);
    assertThat(types).filteredOn("tool_started"::equals).hasSize(3);
    assertThat(types).filteredOn("tool_completed"::equals).hasSize(3);
    // each call's input streamed before it started, and adds up to its arguments
    for (Event e : real.events()) {
      if (e instanceof Event.ToolStarted started) {
        List<Event.ToolInputDelta> deltas = real.events().stream()
            .filter(d -> d instanceof Event.ToolInputDelta i && i.callId().equals(started.callId()))
            .map(d -> (Event.ToolInputDelta) d).toList();
        assertThat(deltas).isNotEmpty();
        assertThat(real.events().indexOf(deltas.get(deltas.size() - 1))).isLessThan(real.events().indexOf(started));
        assertThat(MAPPER.readTree(String.join("", deltas.stream().map(Event.ToolInputDelta::fragment).toList())))
            .isEqualTo(started.arguments());
      }
    }
    assertThat(types).contains("run_started", "file_changes", "checkpoint_created");
    // usage per turn summed per run
    assertThat(real.result().usage()).isEqualTo(new Usage(1200 + 1400 + 1500, 95 + 18 + 9));
    assertThat(real.result().toolSummary()).containsEntry("write_file", 2).containsEntry("read_file", 1);
    assertThat(new String(real.sandbox().read("style.css").bytes(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("h1 { color: tomato; }\n");
    // no secret in any event
    JsonCodec codec = new JsonCodec();
    for (Event e : real.events()) {
      assertThat(codec.toJson(e)).doesNotContain(SECRET_KEY);
    }
  }

  @Test
  void openAiConversationMatchesScriptedModel() throws Exception {
    for (int i = 1; i <= 3; i++) {
      server.enqueue(sse(streamText("openai/conversation-" + i + ".sse")));
    }
    Run run = chat(openAi());
    assertSameRunAsScripted(run);

    server.takeRequest(); // first turn: the person's message only
    JsonNode second = MAPPER.readTree(server.takeRequest().getBody().utf8()).get("messages");
    JsonNode assistant = second.get(second.size() - 3);
    assertThat(assistant.get("role").asText()).isEqualTo("assistant");
    assertThat(assistant.get("content").asText()).isEqualTo("I'll create the page.");
    assertThat(assistant.get("tool_calls").get(0).get("id").asText()).isEqualTo("call_W1");
    assertThat(assistant.get("tool_calls").get(0).get("function").get("arguments").asText())
        .isEqualTo(MAPPER.writeValueAsString(MAPPER.readTree(WRITE_INDEX)));
    assertThat(assistant.get("tool_calls").get(1).get("id").asText()).isEqualTo("call_W2");
    assertThat(second.get(second.size() - 2).get("role").asText()).isEqualTo("tool");
    assertThat(second.get(second.size() - 2).get("tool_call_id").asText()).isEqualTo("call_W1");
    assertThat(second.get(second.size() - 1).get("tool_call_id").asText()).isEqualTo("call_W2");
    JsonNode third = MAPPER.readTree(server.takeRequest().getBody().utf8()).get("messages");
    JsonNode lastResult = third.get(third.size() - 1);
    assertThat(lastResult.get("role").asText()).isEqualTo("tool");
    assertThat(lastResult.get("tool_call_id").asText()).isEqualTo("call_R1");
    assertThat(lastResult.get("content").asText()).contains("<h1>Hi</h1>");
  }

  @Test
  void anthropicConversationMatchesScriptedModel() throws Exception {
    for (int i = 1; i <= 3; i++) {
      server.enqueue(sse(streamText("anthropic/conversation-" + i + ".sse")));
    }
    Run run = chat(anthropic());
    assertSameRunAsScripted(run);

    server.takeRequest();
    JsonNode second = MAPPER.readTree(server.takeRequest().getBody().utf8()).get("messages");
    JsonNode assistant = second.get(second.size() - 2);
    assertThat(assistant.get("role").asText()).isEqualTo("assistant");
    assertThat(assistant.get("content").get(1).get("type").asText()).isEqualTo("tool_use");
    assertThat(assistant.get("content").get(1).get("id").asText()).isEqualTo("call_W1");
    assertThat(assistant.get("content").get(1).get("input")).isEqualTo(MAPPER.readTree(WRITE_INDEX));
    JsonNode results = second.get(second.size() - 1);
    assertThat(results.get("role").asText()).isEqualTo("user");
    assertThat(results.get("content")).hasSize(2); // both tool results merged into one user message
    assertThat(results.get("content").get(0).get("tool_use_id").asText()).isEqualTo("call_W1");
    assertThat(results.get("content").get(0).get("is_error").asBoolean()).isFalse();
    assertThat(results.get("content").get(1).get("tool_use_id").asText()).isEqualTo("call_W2");
    JsonNode third = MAPPER.readTree(server.takeRequest().getBody().utf8()).get("messages");
    JsonNode lastResult = third.get(third.size() - 1).get("content").get(0);
    assertThat(lastResult.get("tool_use_id").asText()).isEqualTo("call_R1");
    assertThat(lastResult.get("content").asText()).contains("<h1>Hi</h1>");
  }

  @Test
  void anthropicThinkingStreamsAsReasoningAndIsSentBackInTheToolLoop() throws Exception {
    server.enqueue(sse(streamText("anthropic/thinking-tool-use.sse")));
    server.enqueue(sse(streamText("anthropic/thinking-answer.sse")));
    Run run = chat(AnthropicChatModel.builder().baseUrl(server.url("/").toString()).apiKey(SECRET_KEY)
        .model("claude-sonnet-4-5").retryPolicy(RetryPolicy.NONE).thinking(2048).build());
    assertThat(run.result().outcome()).as(run.result().error().orElse("")).isEqualTo(RunOutcome.COMPLETED);

    List<String> types = run.events().stream().map(Event::type).toList();
    assertThat(types.subList(0, 5)).containsExactly("run_started", "checkpoint_created", "reasoning_delta", "reasoning_delta",
        "assistant_delta");
    assertThat(types.indexOf("tool_input_delta")).isGreaterThan(types.indexOf("assistant_delta"));
    assertThat(types.lastIndexOf("tool_input_delta")).isLessThan(types.indexOf("tool_started"));
    Event.AssistantMessage first = (Event.AssistantMessage) run.events().get(types.indexOf("assistant_message"));
    assertThat(first.text()).isEqualTo("Writing the page.");
    assertThat(run.events()).filteredOn(e -> e instanceof Event.AssistantMessage || e instanceof Event.AssistantDelta)
        .allSatisfy(e -> assertThat(new JsonCodec().toJson(e)).doesNotContain("counter page"));
    assertThat(run.sandbox().read("index.html").bytes()).asString(java.nio.charset.StandardCharsets.UTF_8)
        .isEqualTo("<button id=\"c\">0</button>\n");
    // tokens per run, prompt-cache reads and writes included
    assertThat(run.result().usage()).isEqualTo(new Usage(2110 + 1850 + 310 + 1850, 164 + 7, 1850, 1850));

    server.takeRequest();
    JsonNode second = MAPPER.readTree(server.takeRequest().getBody().utf8());
    JsonNode assistant = second.get("messages").get(1);
    assertThat(assistant.get("content").get(0).get("type").asText()).isEqualTo("thinking");
    assertThat(assistant.get("content").get(0).get("signature").asText())
        .isEqualTo("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds3fUzw/2Gkg5X+VzSyIwGdhQ=");
    assertThat(assistant.get("content").get(0).get("thinking").asText())
        .isEqualTo("The person wants a counter page.\n\n1. One file is enough: index.html with a button.");
    assertThat(assistant.get("content").get(2).get("type").asText()).isEqualTo("tool_use");
  }

  @Test
  void cutOffToolCallIsNeverRun() throws Exception {
    server.enqueue(sse(streamText("openai/length-cut-off.sse")));
    server.enqueue(sse(streamText("openai/conversation-3.sse")));
    Run run = chat(openAi());
    assertThat(run.events()).noneMatch(e -> e instanceof Event.ToolCompleted);
    assertThat(run.events()).anySatisfy(e -> {
      assertThat(e).isInstanceOf(Event.ToolFailed.class);
      assertThat(((Event.ToolFailed) e).callId()).isEqualTo("call_len1");
      assertThat(((Event.ToolFailed) e).error()).contains("cut off");
    });
    assertThat(run.sandbox().tryRead("index.html")).isEmpty();
    // the model was told, under the same call id
    server.takeRequest();
    JsonNode messages = MAPPER.readTree(server.takeRequest().getBody().utf8()).get("messages");
    JsonNode result = messages.get(messages.size() - 1);
    assertThat(result.get("tool_call_id").asText()).isEqualTo("call_len1");
    assertThat(messages.get(messages.size() - 2).get("tool_calls").get(0).get("function").get("arguments").asText())
        .isEqualTo("{}"); // cut-off arguments are never sent back as if they were valid
  }

  @Test
  void errorEventMidStreamFailsTheRun() throws Exception {
    server.enqueue(sse(streamText("anthropic/overloaded-midstream.sse")));
    Run run = chat(anthropic());
    assertThat(run.result().outcome()).isEqualTo(RunOutcome.FAILED);
    assertThat(run.result().error()).hasValueSatisfying(m -> assertThat(m).contains("overloaded_error"));
    Event last = run.events().get(run.events().size() - 1);
    assertThat(last).isInstanceOf(Event.RunFailed.class);
    assertThat(((Event.RunFailed) last).error()).contains("Overloaded");
    assertThat(run.events()).filteredOn(e -> e instanceof Event.AssistantDelta).hasSize(1);
  }

  @Test
  void cancellingTheRunClosesTheModelStream() throws Exception {
    OpenAiChatModelTest.HeldBody body = new OpenAiChatModelTest.HeldBody(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Thinking\"}}]}\n\n", true);
    server.enqueue(new mockwebserver3.MockResponse.Builder().setHeader("Content-Type", "text/event-stream").body(body).build());
    InMemorySandbox sandbox = InMemorySandbox.builder("app").build();
    java.util.concurrent.CountDownLatch delta = new java.util.concurrent.CountDownLatch(1);
    ChatBuilder builder = ChatBuilder.builder().model(openAi()).sandboxes(appId -> sandbox)
        .listener(e -> {
          if (e instanceof Event.AssistantDelta) {
            delta.countDown();
          }
        })
        .build();
    builders.add(builder);
    RunHandle run = builder.chat("app", "make a page");
    assertThat(delta.await(30, TimeUnit.SECONDS)).isTrue();
    run.cancel();
    RunResult result = run.completion().get(30, TimeUnit.SECONDS);
    assertThat(result.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(body.clientClosed.await(10, TimeUnit.SECONDS)).as("server saw the connection close").isTrue();
    assertThat(run.events().get(run.events().size() - 1)).isInstanceOf(Event.RunCancelled.class);
  }


}
