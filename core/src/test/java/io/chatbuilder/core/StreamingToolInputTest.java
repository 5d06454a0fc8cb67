package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent loop with models that stream tool arguments and reasoning: {@code tool_input_delta}
 * comes before {@code tool_started}, coalesced within its bounds, and reasoning is kept with the
 * assistant message but never becomes answer text.
 */
class StreamingToolInputTest {
  private final List<ChatBuilder> opened = new ArrayList<>();
  private InMemorySandbox sandbox;

  @AfterEach
  void close() {
    opened.forEach(ChatBuilder::close);
  }

  private ChatBuilder builder(ScriptedModel model) {
    sandbox = InMemorySandbox.builder("app").file("index.html", "<h1>Hi</h1>\n").build();
    ChatBuilder b = ChatBuilder.builder().model(model).sandboxes(id -> sandbox).build();
    opened.add(b);
    return b;
  }

  private static RunResult await(RunHandle run) throws Exception {
    return run.completion().get(30, TimeUnit.SECONDS);
  }

  private static List<Event.ToolInputDelta> inputDeltas(RunHandle run, String callId) {
    return run.events().stream().filter(e -> e instanceof Event.ToolInputDelta d && d.callId().equals(callId))
        .map(e -> (Event.ToolInputDelta) e).toList();
  }

  private static String joined(List<Event.ToolInputDelta> deltas) {
    return String.join("", deltas.stream().map(Event.ToolInputDelta::fragment).toList());
  }

  private static int indexOf(List<Event> events, Class<? extends Event> type, String callId) {
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (type.isInstance(e) && (e instanceof Event.ToolStarted s && s.callId().equals(callId))) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void argumentFragmentsAndReasoningStreamBeforeTheToolStarts() throws Exception {
    // Fragments of at least a KiB each flush on arrival whatever the timing, so the sequence is exact.
    String body = "<main>\n" + "  <p>Lorem ipsum dolor sit amet.</p>\n".repeat(90) + "</main>\n";
    String args = "{\"path\":\"index.html\",\"content\":\"" + body.replace("\n", "\\n") + "\"}";
    List<String> fragments = List.of(args.substring(0, 1100), args.substring(1100, 2200), args.substring(2200));
    assertThat(fragments).allSatisfy(f -> assertThat(f.length()).isGreaterThanOrEqualTo(1024));
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.reasoning("The person wants a page. ").reasoning("One write is enough.")
            .text("Writing the page.")
            .streamedToolCall("call_W", "write_file", fragments)
            .streamedToolCall("call_R", "read_file", List.of("{\"path\":\"index.html\"}"))
            .usage(1000, 200))
        .turn(t -> t.text("Done."))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "Make a page");
    RunResult result = await(run);

    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(run.events()).extracting(Event::type).containsExactly(
        "run_started", "checkpoint_created",
        "reasoning_delta", "reasoning_delta", "assistant_delta",
        "tool_input_delta", "tool_input_delta", "tool_input_delta", "tool_input_delta",
        "tool_input_delta", "tool_input_delta",
        "assistant_message",
        "tool_started", "tool_completed", "file_changes",
        "tool_started", "tool_completed",
        "assistant_delta", "assistant_message",
        "checkpoint_created", "run_completed");

    List<Event.ToolInputDelta> write = inputDeltas(run, "call_W");
    assertThat(write).extracting(Event.ToolInputDelta::fragment)
        .containsExactly("", fragments.get(0), fragments.get(1), fragments.get(2));
    assertThat(write).extracting(Event.ToolInputDelta::offset).containsExactly(0L, 0L, 1100L, 2200L);
    assertThat(write).allSatisfy(d -> {
      assertThat(d.toolName()).isEqualTo("write_file");
      assertThat(d.step()).isEqualTo(1);
    });
    assertThat(joined(inputDeltas(run, "call_R"))).isEqualTo("{\"path\":\"index.html\"}");

    Event.ToolStarted started = (Event.ToolStarted) run.events().get(12);
    assertThat(started.callId()).isEqualTo("call_W");
    assertThat(started.arguments().get("content").asText()).isEqualTo(body);
    assertThat(new String(sandbox.read("index.html").bytes(), StandardCharsets.UTF_8)).isEqualTo(body);

    // Reasoning streams as its own events and is never answer text.
    assertThat(run.events()).filteredOn(e -> e instanceof Event.ReasoningDelta)
        .extracting(e -> ((Event.ReasoningDelta) e).text()).containsExactly("The person wants a page. ", "One write is enough.");
    Event.AssistantMessage first = (Event.AssistantMessage) run.events().get(11);
    assertThat(first.text()).isEqualTo("Writing the page.");
    assertThat(run.events()).filteredOn(e -> e instanceof Event.AssistantDelta || e instanceof Event.AssistantMessage)
        .allSatisfy(e -> assertThat(e.toString()).doesNotContain("One write is enough"));

    // The conversation keeps the reasoning with its turn, and the next request carries it.
    ChatMessage.Assistant stored = (ChatMessage.Assistant) cb.conversation("app").get(1);
    assertThat(stored.text()).isEqualTo("Writing the page.");
    assertThat(stored.reasoning()).containsExactly(new Reasoning.Text("The person wants a page. One write is enough."));
    assertThat(model.requests().get(1).messages().get(1)).isEqualTo(stored);
  }

  @Test
  void signedAndRedactedReasoningIsKeptUnchanged() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.reasoning(new Reasoning.Text("Look at the file.", "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgx"))
            .reasoning(new Reasoning.Redacted("EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"))
            .toolCall("read_file", "{\"path\":\"index.html\"}"))
        .turn(t -> t.text("It says Hi."))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "What does the page say?");
    assertThat(await(run).outcome()).isEqualTo(RunOutcome.COMPLETED);
    ChatMessage.Assistant sent = (ChatMessage.Assistant) model.requests().get(1).messages().get(1);
    assertThat(sent.reasoning()).containsExactly(new Reasoning.Text("Look at the file.", "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgx"),
        new Reasoning.Redacted("EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"));
    // only the readable text streamed; the redacted block has none
    assertThat(run.events()).filteredOn(e -> e instanceof Event.ReasoningDelta).hasSize(1);
  }

  @Test
  void manySmallFragmentsAreCoalescedWithinTheBoundsAndArriveInOrder() throws Exception {
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < 1500; i++) {
      content.append("line ").append(i).append("\\n");
    }
    String args = "{\"path\":\"big.txt\",\"content\":\"" + content + "\"}";
    List<String> fragments = new ArrayList<>();
    for (int i = 0; i < args.length(); i += 5) {
      fragments.add(args.substring(i, Math.min(args.length(), i + 5)));
    }
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.streamedToolCall("call_B", "write_file", fragments))
        .turn(t -> t.text("Done."))
        .build();
    ChatBuilder cb = builder(model);
    long start = System.nanoTime();
    RunHandle run = cb.chat("app", "Write a big file");
    RunResult result = await(run);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + 1;
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);

    List<Event.ToolInputDelta> deltas = inputDeltas(run, "call_B");
    assertThat(joined(deltas)).isEqualTo(args);
    long offset = 0;
    for (Event.ToolInputDelta d : deltas) {
      assertThat(d.offset()).as("fragments are contiguous").isEqualTo(offset);
      offset += d.fragment().length();
    }
    // One announcement, at most one event per 50 ms and one per KiB, and the last one; whatever
    // the machine's speed the bound holds, since it is computed from the time the run took.
    long bound = 1 + elapsedMs / 50 + args.length() / 1024 + 1;
    assertThat((long) deltas.size()).isLessThanOrEqualTo(bound).isLessThan(fragments.size());
    assertThat(deltas).allSatisfy(d -> assertThat(d.fragment().length()).isLessThan(1024 + 5));
    // all of them before the call starts
    int started = indexOf(run.events(), Event.ToolStarted.class, "call_B");
    assertThat(started).isPositive();
    assertThat(run.events().indexOf(deltas.get(deltas.size() - 1))).isLessThan(started);
  }

  @Test
  void argumentsAreValidatedOnlyOnceComplete() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.streamedToolCall("call_X", "write_file", List.of("{\"path\":", "\"a.txt\",\"content\":", "\"oops\"")))
        .turn(t -> t.text("Sorry."))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "Write a");
    assertThat(await(run).outcome()).isEqualTo(RunOutcome.COMPLETED);
    List<String> types = run.events().stream().map(Event::type).toList();
    int firstDelta = types.indexOf("tool_input_delta");
    int lastDelta = types.lastIndexOf("tool_input_delta");
    assertThat(firstDelta).isPositive();
    assertThat(types.subList(lastDelta + 1, types.size())).startsWith("assistant_message", "tool_started", "tool_failed");
    Event.ToolFailed failed = (Event.ToolFailed) run.events().get(lastDelta + 3);
    assertThat(failed.error()).contains("not valid JSON");
    assertThat(joined(inputDeltas(run, "call_X"))).isEqualTo("{\"path\":\"a.txt\",\"content\":\"oops\"");
    assertThat(sandbox.tryRead("a.txt")).isEmpty();
  }

  @Test
  void cancellingWhileArgumentsStreamStopsBeforeTheToolRuns() throws Exception {
    CountDownLatch typing = new CountDownLatch(1);
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.chunkDelay(Duration.ofMillis(20))
            .streamedToolCall("call_S", "write_file", List.of("{\"path\":\"slow.txt\",", "\"content\":\"", "a", "b", "c", "\"}")))
        .build();
    sandbox = InMemorySandbox.builder("app").build();
    ChatBuilder cb = ChatBuilder.builder().model(model).sandboxes(id -> sandbox)
        .listener(e -> {
          if (e instanceof Event.ToolInputDelta) {
            typing.countDown();
          }
        })
        .build();
    opened.add(cb);
    RunHandle run = cb.chat("app", "Write slowly");
    assertThat(typing.await(10, TimeUnit.SECONDS)).isTrue();
    run.cancel();
    assertThat(await(run).outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(run.events()).noneMatch(e -> e instanceof Event.ToolStarted);
    assertThat(run.events().get(run.events().size() - 1)).isInstanceOf(Event.RunCancelled.class);
    assertThat(sandbox.tryRead("slow.txt")).isEmpty();
  }
}
