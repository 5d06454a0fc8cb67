package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.ChangeKind;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.tool.Schemas;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentLoopTest {
  private final List<ChatBuilder> opened = new ArrayList<>();
  private InMemorySandbox sandbox;

  @AfterEach
  void close() {
    opened.forEach(ChatBuilder::close);
  }

  private ChatBuilder builder(ScriptedModel model) {
    return builder(model, InMemorySandbox.builder("app").file("index.html", "<h1>Hi</h1>\n"), ChatBuilder.builder());
  }

  private ChatBuilder builder(ScriptedModel model, InMemorySandbox.Builder sandboxBuilder, ChatBuilder.Builder cb) {
    sandbox = sandboxBuilder.build();
    ChatBuilder b = cb.model(model).sandboxes(id -> sandbox).build();
    opened.add(b);
    return b;
  }

  private static RunResult await(RunHandle run) throws Exception {
    return run.completion().get(30, TimeUnit.SECONDS);
  }

  private static List<String> types(RunHandle run) {
    return run.events().stream().map(Event::type).toList();
  }

  private static void assertWellFormed(RunHandle run) {
    List<Event> events = run.events();
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).seq()).as("seq is gapless from 1").isEqualTo(i + 1L);
      assertThat(events.get(i).runId()).isEqualTo(run.runId());
    }
    assertThat(events.get(0)).isInstanceOf(Event.RunStarted.class);
    assertThat(events.stream().filter(Event::terminal)).as("exactly one terminal event").hasSize(1);
    assertThat(events.get(events.size() - 1).terminal()).as("the terminal event is last").isTrue();
  }

  private static String text(Sandbox s, String path) {
    return new String(s.read(path).bytes(), StandardCharsets.UTF_8);
  }

  /** {@code target}, counting reads of {@code path}; its fenced views count too. */
  private static Sandbox countingReads(Sandbox target, String path, java.util.concurrent.atomic.AtomicInteger reads) {
    return (Sandbox) java.lang.reflect.Proxy.newProxyInstance(Sandbox.class.getClassLoader(), new Class<?>[] {Sandbox.class},
        (proxy, method, args) -> {
          if ((method.getName().equals("tryRead") || method.getName().equals("read")) && path.equals(args[0])) {
            reads.incrementAndGet();
          }
          try {
            Object out = method.invoke(target, args);
            return method.getName().equals("fenced") ? countingReads((Sandbox) out, path, reads) : out;
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void aWriteFileReportIsMadeFromTheBytesWrittenWithoutReadingTheFileBack() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"index.html\",\"content\":\"<h1>Dark</h1>\\n<p>x</p>\\n\"}"))
        .turn(t -> t.text("done"))
        .build();
    InMemorySandbox real = InMemorySandbox.builder("app").file("index.html", "<h1>Hi</h1>\n").build();
    java.util.concurrent.atomic.AtomicInteger readBacks = new java.util.concurrent.atomic.AtomicInteger();
    Sandbox counting = countingReads(real, "index.html", readBacks);
    ChatBuilder cb = ChatBuilder.builder().model(model).sandboxes(id -> counting).build();
    opened.add(cb);
    cb.initialize("app");
    int beforeRun = readBacks.get();
    RunHandle run = cb.chat("app", "dark");
    await(run);
    Event.FileChanges changes = run.events().stream().filter(e -> e instanceof Event.FileChanges)
        .map(e -> (Event.FileChanges) e).findFirst().orElseThrow();
    assertThat(changes.changes()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(ChangeKind.MODIFIED);
      assertThat(c.linesAdded()).isEqualTo(2);
      assertThat(c.linesRemoved()).isEqualTo(1);
    });
    // One read: the run's checkpoint records the file as it is on disk. The file_changes report
    // adds none (it used to read the file back after every write).
    assertThat(readBacks.get() - beforeRun).as("reads of index.html during the run").isEqualTo(1);
  }

  @Test
  void multiStepToolUseEndsInACheckpoint() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.text("Let me look.").toolCall("list_files", "{}"))
        .turn(t -> t.text("Reading.").toolCall("read_file", "{\"path\":\"index.html\"}"))
        .turn(t -> t.text("Writing.").toolCall("write_file", "{\"path\":\"index.html\",\"content\":\"<h1>Dark</h1>\\n\"}"))
        .turn(t -> t.text("Done: ").text("dark mode added."))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "Add dark mode");
    RunResult result = await(run);

    assertWellFormed(run);
    assertThat(types(run)).containsExactly(
        "run_started", "checkpoint_created",
        "assistant_delta", "assistant_message", "tool_started", "tool_completed",
        "assistant_delta", "assistant_message", "tool_started", "tool_completed",
        "assistant_delta", "assistant_message", "tool_started", "tool_completed", "file_changes",
        "assistant_delta", "assistant_delta", "assistant_message",
        "checkpoint_created", "run_completed");
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(result.steps()).isEqualTo(4);
    assertThat(result.toolSummary()).isEqualTo(Map.of("list_files", 1, "read_file", 1, "write_file", 1));
    assertThat(text(sandbox, "index.html")).isEqualTo("<h1>Dark</h1>\n");

    Event.FileChanges changes = (Event.FileChanges) run.events().get(14);
    assertThat(changes.changes()).singleElement().satisfies(c -> {
      assertThat(c.path()).isEqualTo("index.html");
      assertThat(c.kind()).isEqualTo(ChangeKind.MODIFIED);
      assertThat(c.linesAdded()).isEqualTo(1);
      assertThat(c.linesRemoved()).isEqualTo(1);
    });
    Checkpoint initial = ((Event.CheckpointCreated) run.events().get(1)).checkpoint();
    assertThat(initial.type()).isEqualTo(CheckpointType.INITIAL);
    Checkpoint checkpoint = result.checkpoint().orElseThrow();
    assertThat(checkpoint.type()).isEqualTo(CheckpointType.AGENT_RUN);
    assertThat(checkpoint.label()).isEqualTo("Add dark mode");
    assertThat(checkpoint.runId()).contains(run.runId());
    assertThat(checkpoint.runOutcome()).contains(RunOutcome.COMPLETED);
    assertThat(checkpoint.parentId()).contains(initial.id());
    assertThat(checkpoint.toolSummary()).isEqualTo(Map.of("list_files", 1, "read_file", 1, "write_file", 1));
    assertThat(checkpoint.stats().filesModified()).isEqualTo(1);
    assertThat(((Event.AssistantMessage) run.events().get(17)).text()).isEqualTo("Done: dark mode added.");

    // The model saw the tool results of earlier turns, paired by call id.
    ModelRequest last = model.requests().get(3);
    List<ChatMessage> messages = last.messages();
    assertThat(messages.get(0)).isEqualTo(new ChatMessage.User("Add dark mode"));
    assertThat(messages).filteredOn(m -> m instanceof ChatMessage.ToolResult).hasSize(3);
    ChatMessage.ToolResult read = (ChatMessage.ToolResult) messages.get(4);
    assertThat(read.callId()).isEqualTo("call_2_1");
    assertThat(read.content()).isEqualTo("<h1>Hi</h1>\n");
    assertThat(last.tools()).extracting(ToolDefinition::name).containsExactly(
        "delete_file", "edit_file", "list_files", "read_file", "rename_file", "run_command", "search_files", "write_file");
    assertThat(cb.conversation("app")).hasSize(8);
  }

  @Test
  void parallelToolCallsInOneTurnEachGetOneResultInOrder() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"a\"}")
            .toolCall("write_file", "{\"path\":\"b.txt\",\"content\":\"b\"}")
            .toolCall("read_file", "{\"path\":\"a.txt\"}"))
        .turn(t -> t.text("ok"))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "two files");
    await(run);
    assertWellFormed(run);
    assertThat(types(run)).containsExactly("run_started", "checkpoint_created", "assistant_message",
        "tool_started", "tool_completed", "file_changes",
        "tool_started", "tool_completed", "file_changes",
        "tool_started", "tool_completed",
        "assistant_delta", "assistant_message", "checkpoint_created", "run_completed");
    List<ChatMessage> second = model.requests().get(1).messages();
    assertThat(second).filteredOn(m -> m instanceof ChatMessage.ToolResult)
        .extracting(m -> ((ChatMessage.ToolResult) m).callId())
        .containsExactly("call_1_1", "call_1_2", "call_1_3");
    Checkpoint c = run.completion().get().checkpoint().orElseThrow();
    assertThat(c.stats().filesAdded()).isEqualTo(2);
  }

  @Test
  void malformedArgumentsUnknownToolsAndBadArgumentsBecomeToolFailures() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\": \"a.txt\", \"content\": ")
            .toolCall("make_coffee", "{}")
            .toolCall("write_file", "{\"path\": \"a.txt\"}")
            .toolCall("write_file", "{\"path\": 7, \"content\": \"x\"}")
            .toolCall("read_file", "{\"path\": \"../../etc/passwd\"}")
            .toolCall("read_file", "[1,2]"))
        .turn(t -> t.text("I will stop."))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "break things");
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    List<Event.ToolFailed> failed = run.events().stream().filter(e -> e instanceof Event.ToolFailed)
        .map(e -> (Event.ToolFailed) e).toList();
    assertThat(failed).hasSize(6);
    assertThat(failed.get(0).error()).contains("not valid JSON");
    assertThat(failed.get(1).error()).contains("unknown tool 'make_coffee'").contains("write_file");
    assertThat(failed.get(2).error()).contains("missing required 'content'");
    assertThat(failed.get(3).error()).contains("'path' must be a string");
    assertThat(failed.get(4).errorCode()).isEqualTo("path_refused");
    assertThat(failed.get(5).error()).contains("expected a JSON object");
    // the raw text of unparseable arguments is shown as a string
    Event.ToolStarted first = (Event.ToolStarted) run.events().stream().filter(e -> e instanceof Event.ToolStarted).findFirst().orElseThrow();
    assertThat(first.arguments().isTextual()).isTrue();
    List<ChatMessage> sent = model.requests().get(1).messages();
    assertThat(sent).filteredOn(m -> m instanceof ChatMessage.ToolResult).hasSize(6)
        .allSatisfy(m -> assertThat(((ChatMessage.ToolResult) m).error()).isTrue());
    assertThat(result.checkpoint()).as("nothing changed, no checkpoint").isEmpty();
    assertThat(sandbox.files()).containsOnlyKeys("index.html");
  }

  @Test
  void toolExceptionsAreReportedNotFatal() throws Exception {
    Tool exploding = new Tool() {
      @Override
      public ToolDefinition definition() {
        return new ToolDefinition("explode", "always fails", Schemas.object().build());
      }

      @Override
      public ToolResult execute(ToolContext context, ObjectNode arguments) {
        throw new IllegalStateException("boom");
      }
    };
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("explode", "{}"))
        .turn(t -> t.text("Recovered."))
        .build();
    ChatBuilder cb = builder(model, InMemorySandbox.builder("app"), ChatBuilder.builder().tool(exploding));
    RunHandle run = cb.chat("app", "go");
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    Event.ToolFailed failed = (Event.ToolFailed) run.events().stream().filter(e -> e instanceof Event.ToolFailed).findFirst().orElseThrow();
    assertThat(failed.error()).contains("boom");
    assertThat(failed.errorCode()).isEqualTo("internal");
  }

  @Test
  void stepLimitFailsTheRunButKeepsItsChanges() throws Exception {
    ScriptedModel model = ScriptedModel.responding(request -> java.util.Optional.of(ScriptedModel.Turn.builder()
        .toolCall("c" + request.messages().size(), "write_file",
            "{\"path\":\"n.txt\",\"content\":\"" + request.messages().size() + "\"}")
        .build()));
    ChatBuilder cb = builder(model, InMemorySandbox.builder("app"), ChatBuilder.builder().maxSteps(3));
    RunHandle run = cb.chat("app", "loop forever");
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.FAILED);
    assertThat(result.errorCode()).contains(ErrorCode.STEP_LIMIT);
    assertThat(types(run)).endsWith("checkpoint_created", "run_failed");
    Event.RunFailed failed = (Event.RunFailed) run.events().get(run.events().size() - 1);
    assertThat(failed.errorCode()).isEqualTo("step_limit");
    assertThat(result.checkpoint()).hasValueSatisfying(c -> assertThat(c.runOutcome()).contains(RunOutcome.FAILED));
    assertThat(model.requests()).hasSize(3);
  }

  @Test
  void cancelMidToolKillsTheToolAndRecordsTheChanges() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"before.txt\",\"content\":\"x\"}")
            .toolCall("run_command", "{\"argv\":[\"npm\",\"run\",\"dev\"]}")
            .toolCall("write_file", "{\"path\":\"never.txt\",\"content\":\"x\"}"))
        .turn(t -> t.text("unreachable"))
        .build();
    InMemorySandbox.Builder sb = InMemorySandbox.builder("app").command("npm", (request, box, listener, cancellation) -> {
      box.write("during.txt", "written by the command".getBytes(StandardCharsets.UTF_8));
      listener.onStdout("server starting\n");
      running.countDown();
      CountDownLatch killed = new CountDownLatch(1);
      try (Cancellation.Registration r = cancellation.onCancel(killed::countDown)) {
        killed.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new CommandResult(-1, "server starting\n", "", false, true, false, false, Duration.ofMillis(5));
    });
    ChatBuilder cb = builder(model, sb, ChatBuilder.builder());
    RunHandle run = cb.chat("app", "start it");
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> cb.chat("app", "again")).isInstanceOf(BusyException.class).hasMessageContaining("busy");
    assertThatThrownBy(() -> cb.undo("app")).isInstanceOf(BusyException.class);
    run.cancel();
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(types(run)).containsSubsequence("tool_started", "status", "tool_failed", "file_changes", "checkpoint_created", "run_cancelled");
    assertThat(types(run).get(types(run).size() - 1)).isEqualTo("run_cancelled");
    assertThat(sandbox.files()).containsOnlyKeys("before.txt", "during.txt");
    Checkpoint c = result.checkpoint().orElseThrow();
    assertThat(c.runOutcome()).contains(RunOutcome.CANCELLED);
    assertThat(cb.checkpointStore().readFile(c.resultRevisionId(), "during.txt")).isPresent();
    // every call of the turn has exactly one result in the conversation
    assertThat(cb.conversation("app")).filteredOn(m -> m instanceof ChatMessage.ToolResult)
        .extracting(m -> ((ChatMessage.ToolResult) m).callId()).containsExactly("call_1_1", "call_1_2", "call_1_3");
    // the app is free again
    assertThat(cb.activeRun("app")).isEmpty();
  }

  @Test
  void cancelDuringTheModelStream() throws Exception {
    ScriptedModel model = ScriptedModel.builder().turn(t -> t.text("thinking").holdUntilCancelled()).build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "hang");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (run.events().stream().noneMatch(e -> e instanceof Event.AssistantDelta) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    run.cancel();
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(types(run)).containsExactly("run_started", "checkpoint_created", "assistant_delta", "run_cancelled");
  }

  @Test
  void modelErrorMidStreamFailsTheRun() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"a\"}"))
        .turn(t -> t.text("par").fail("overloaded_error: Overloaded", true))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "go");
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.FAILED);
    assertThat(result.errorCode()).contains(ErrorCode.MODEL_ERROR);
    assertThat(types(run)).endsWith("assistant_delta", "checkpoint_created", "run_failed");
    assertThat(result.checkpoint()).isPresent();
  }

  @Test
  void cutOffOutputNeverRunsTools() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"complete\"}").finishReason(FinishReason.LENGTH))
        .turn(t -> t.text("ok"))
        .build();
    ChatBuilder cb = builder(model);
    RunHandle run = cb.chat("app", "go");
    await(run);
    assertThat(sandbox.files()).doesNotContainKey("a.txt");
    assertThat(run.events()).filteredOn(e -> e instanceof Event.ToolFailed).singleElement()
        .satisfies(e -> assertThat(((Event.ToolFailed) e).error()).contains("cut off"));
  }

  @Test
  void subscribersGetBacklogThenLiveEventsWithoutGapsOrDuplicates() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.text("one").text("two"))
        .build();
    ChatBuilder cb = builder(model, InMemorySandbox.builder("app").file("a", "a"), ChatBuilder.builder()
        .listener(e -> {
          if (e instanceof Event.AssistantDelta d && d.text().equals("one")) {
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
              Thread.currentThread().interrupt();
            }
          }
        }));
    RunHandle run = cb.chat("app", "go");
    while (run.events().size() < 3) {
      Thread.sleep(2);
    }
    List<Event> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    run.subscribe(1, received::add);
    release.countDown();
    await(run);
    assertThat(received).extracting(Event::seq).containsExactlyElementsOf(
        run.events().stream().map(Event::seq).filter(s -> s > 1).toList());
    assertThat(cb.events("app", run.runId(), 2)).extracting(Event::seq).startsWith(3L);
    assertThat(cb.runIds("app", 10)).containsExactly(run.runId());
  }

  @Test
  void editsMadeOutsideTheAgentAreCapturedBeforeTheRun() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"agent\"}"))
        .turn(t -> t.text("done"))
        .build();
    ChatBuilder cb = builder(model);
    cb.initialize("app");
    sandbox.write("person.txt", "typed by a person".getBytes(StandardCharsets.UTF_8));
    RunHandle run = cb.chat("app", "go");
    RunResult result = await(run);
    List<Checkpoint> list = cb.checkpoints("app", 10);
    assertThat(list).extracting(Checkpoint::type).containsExactly(CheckpointType.AGENT_RUN, CheckpointType.MANUAL, CheckpointType.INITIAL);
    assertThat(result.checkpoint().orElseThrow().stats().filesAdded()).as("the run's checkpoint holds only the run's change").isEqualTo(1);
    assertThat(types(run)).startsWith("run_started", "checkpoint_created", "assistant_message");
  }

  @Test
  void invalidInputsAreRefusedClearly() {
    ChatBuilder cb = builder(ScriptedModel.builder().build());
    assertThatThrownBy(() -> cb.chat("../etc", "x")).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("app id");
    assertThatThrownBy(() -> cb.chat("app", "  ")).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> cb.undo("app")).isInstanceOf(NothingToDoException.class);
    assertThatThrownBy(() -> cb.restore("app", "nope")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void runWithoutScriptLeftFailsWithModelError() throws Exception {
    ChatBuilder cb = builder(ScriptedModel.builder().build());
    RunHandle run = cb.chat("app", "hello");
    RunResult result = await(run);
    assertWellFormed(run);
    assertThat(result.outcome()).isEqualTo(RunOutcome.FAILED);
    assertThat(result.error()).hasValueSatisfying(m -> assertThat(m).contains("no turn left"));
  }
}
