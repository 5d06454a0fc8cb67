package io.chatbuilder.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.tool.CheckApp;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent run: the loop of model turns and tool calls for one chat message, ending in a checkpoint
 * (if files changed) and exactly one terminal event. Not API.
 *
 * <pre>
 * run_started
 * [checkpoint_created: initial / edits made outside the agent]
 * repeat up to maxSteps:
 *   (assistant_delta | reasoning_delta | tool_input_delta)*  assistant_message
 *   for each tool call: tool_started (tool_completed [file_changes] | tool_failed)
 *   stop when the model asks for no tool
 * [checkpoint_created: agent_run]
 * run_completed | run_failed | run_cancelled
 * </pre>
 */
public final class AgentRun {
  private static final Logger LOG = LoggerFactory.getLogger(AgentRun.class);
  private static final JsonCodec JSON = new JsonCodec();

  private final String appId;
  private final String runId;
  private final String message;
  private final ChatMessage.User user;
  private final AgentConfig config;
  private final History history;
  private final ConversationStore conversations;
  private final Sandbox sandbox;
  private final RunEvents events;
  private final Cancellation cancellation;
  private final Runnable release;
  private final AppLeases.Held lease;
  private final Recovery recovery;
  /** The conversation the model sees, loaded once the run's user message is stored (issue 19). */
  private ModelContext context;
  private final Map<String, Integer> toolSummary = new TreeMap<>();
  /** Content of paths as last reported in a file_changes event (empty = absent). */
  private final Map<String, Optional<byte[]>> reported = new HashMap<>();
  private String baseRevisionId;
  private Usage usage = Usage.ZERO;
  private int steps;
  private boolean finalChecked;
  private final io.chatbuilder.core.access.AppPrincipal principal;
  private final java.util.Map<String, String> attributes;

  /** A run on behalf of {@code principal}, with the host's {@code attributes}; both reach every tool. */
  public AgentRun(String appId, String runId, ChatMessage.User user, AgentConfig config, History history,
      ConversationStore conversations, Sandbox sandbox, RunEvents events, Cancellation cancellation, AppLeases.Held lease,
      Recovery recovery, Runnable release, io.chatbuilder.core.access.AppPrincipal principal,
      java.util.Map<String, String> attributes) {
    this.principal = java.util.Objects.requireNonNull(principal, "principal == null");
    this.attributes = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(attributes));
    this.appId = appId;
    this.runId = runId;
    this.user = java.util.Objects.requireNonNull(user, "user == null");
    this.message = user.text();
    this.config = config;
    this.history = history;
    this.conversations = conversations;
    this.sandbox = sandbox;
    this.events = events;
    this.cancellation = cancellation;
    this.lease = java.util.Objects.requireNonNull(lease, "lease == null");
    this.release = java.util.Objects.requireNonNull(release, "release == null");
    this.recovery = java.util.Objects.requireNonNull(recovery, "recovery == null");
  }

  /** Runs to the end; never throws. */
  public RunResult run() {
    java.util.Optional<String> startedBy = principal.anonymous() ? java.util.Optional.empty() : java.util.Optional.of(principal.name());
    events.emit((a, r, s, t) -> new Event.RunStarted(a, r, s, t, message, config.model().name(), startedBy, attributes));
    RunOutcome outcome = RunOutcome.COMPLETED;
    ChatBuilderException failure = null;
    try {
      prepare();
      loop();
    } catch (CancelledException e) {
      outcome = RunOutcome.CANCELLED;
      failure = e;
    } catch (ChatBuilderException e) {
      outcome = RunOutcome.FAILED;
      failure = e;
    } catch (RuntimeException | Error e) {
      LOG.error("run {} of app {} failed unexpectedly", runId, appId, e);
      outcome = RunOutcome.FAILED;
      failure = new ChatBuilderException(ErrorCode.INTERNAL, "internal error: " + e, e);
    }
    lease.verify(); // a takeover the renewer has not seen yet must still stop the checkpoint
    Optional<LeaseLostException> lost = lease.lost();
    if (lost.isPresent()) {
      // The run was stopped (its model stream cancelled) because another holder may be in the
      // workspace now: it must not touch it again, not even to record a checkpoint.
      outcome = RunOutcome.FAILED;
      failure = new LeaseLostException("run stopped: " + lost.get().getMessage()
          + "; its file changes so far were not checkpointed", lost.get());
    } else if (events.persistFailure().isPresent()) {
      // The facade cancelled the run when its events could not be stored.
      outcome = RunOutcome.FAILED;
      failure = eventsNotStored(events.persistFailure().get());
    } else if (cancellation.isCancelled() && outcome != RunOutcome.CANCELLED) {
      outcome = RunOutcome.CANCELLED;
      failure = new CancelledException("cancelled");
    }
    Optional<Checkpoint> checkpoint = Optional.empty();
    try {
      if (lost.isEmpty()) {
        checkpoint = recordCheckpoint(outcome);
      }
    } catch (RuntimeException e) {
      // The files stay in the sandbox and are still tracked: the next operation records them.
      LOG.error("run {} of app {} could not record its checkpoint", runId, appId, e);
      outcome = RunOutcome.FAILED;
      ErrorCode code = e instanceof ChatBuilderException c ? c.code() : ErrorCode.STORE_ERROR;
      String why = e instanceof ChatBuilderException ? e.getMessage() : e.toString();
      failure = new ChatBuilderException(code, "could not record the checkpoint: " + why, e);
    }
    if (outcome != RunOutcome.FAILED && events.persistFailure().isPresent()) {
      outcome = RunOutcome.FAILED;
      failure = eventsNotStored(events.persistFailure().get());
    }
    Map<String, Integer> summary = Map.copyOf(toolSummary);
    Usage total = usage;
    int stepCount = steps;
    ChatBuilderException error = failure;
    // Recorded with the lease, then the app is freed, then subscribers see it (and the writer stores
    // it): a terminal event means the app is free, and a host that dies before the event is stored
    // leaves an intent naming it, which the next holder checks against the log.
    RunOutcome ended = outcome;
    events.emitTerminal((a, r, s, t) -> switch (ended) {
      case COMPLETED -> new Event.RunCompleted(a, r, s, t, stepCount, total, summary);
      case CANCELLED -> new Event.RunCancelled(a, r, s, t, "cancelled by the caller");
      case FAILED -> new Event.RunFailed(a, r, s, t, error.getMessage(), error.code().wireName());
    }, terminal -> {
      try {
        if (lease.lost().isEmpty()) {
          recovery.recordRunEnd(lease.lease(), runId, label(), terminal);
        }
      } catch (RuntimeException e) {
        LOG.warn("run {} of app {}: could not record its end with the lease: {}", runId, appId, e.toString());
      }
      release.run();
    });
    return new RunResult(appId, runId, outcome, checkpoint, total, stepCount, summary,
        Optional.ofNullable(failure).map(Throwable::getMessage), Optional.ofNullable(failure).map(ChatBuilderException::code));
  }

  private static ChatBuilderException eventsNotStored(StoreException e) {
    return new StoreException("run stopped: its events could not be stored: " + e.getMessage(), e);
  }

  private void prepare() {
    boolean fresh = history.store().head(appId).isEmpty();
    Checkpoint head = history.initialize(appId, sandbox, lease.lease());
    if (fresh) {
      events.emit((a, r, s, t) -> new Event.CheckpointCreated(a, r, s, t, head));
    }
    Optional<History.Recorded> external = history.captureExternalEdits(appId, sandbox, "before run " + runId, lease.lease());
    external.ifPresent(rec -> {
      events.emit((a, r, s, t) -> new Event.CheckpointCreated(a, r, s, t, rec.checkpoint()));
    });
    baseRevisionId = external.map(rec -> rec.checkpoint().resultRevisionId()).orElse(head.resultRevisionId());
    conversations.append(appId, runId, List.of(user));
    context = new ModelContext(conversations.load(appId), config.contextBudgetChars());
  }

  /** Stores messages of this run and adds them to the model's context. */
  private void append(ChatMessage message) {
    List<ChatMessage> messages = List.of(message);
    conversations.append(appId, runId, messages);
    context.append(messages);
  }

  private void loop() {
    for (int step = 1; step <= config.maxSteps(); step++) {
      cancellation.throwIfCancelled();
      steps = step;
      int turn = step;
      ModelRequest request = new ModelRequest(config.systemPrompt(), context.messages(), config.toolDefinitions(), config.maxOutputTokens());
      // issue 15: text, reasoning and coalesced tool input stream as events; what is buffered goes out before tool_started
      ModelStreamEvents stream = new ModelStreamEvents(events, turn);
      ModelResponse response;
      try {
        response = config.model().stream(request, stream, cancellation);
      } finally {
        stream.finish();
      }
      usage = usage.plus(response.usage());
      events.emit((a, r, s, t) -> new Event.AssistantMessage(a, r, s, t, turn, response.text(), response.usage()));
      append(new ChatMessage.Assistant(response.text(), response.toolCalls(), response.reasoning()));
      if (response.toolCalls().isEmpty()) {
        if (response.finishReason() == FinishReason.LENGTH) {
          throw new ChatBuilderException(ErrorCode.MODEL_ERROR, "the model's output was cut off by its token limit");
        }
        if (step < config.maxSteps() && finalCheckFoundErrors()) {
          continue; // one more turn to fix what the check found
        }
        return;
      }
      runTools(response);
    }
    throw new ChatBuilderException(ErrorCode.STEP_LIMIT, "the model did not finish within " + config.maxSteps() + " turns");
  }

  /**
   * The opt-in check when the model says it is done (issue 16): at most once per run, only if the
   * run changed files; errors the model already got from its own last check_app end the run as it is.
   * Returns whether the model was asked to fix errors.
   */
  private boolean finalCheckFoundErrors() {
    if (config.finalCheck().isEmpty() || finalChecked || reported.isEmpty()) {
      return false;
    }
    finalChecked = true;
    status("checking the app before finishing (check_app)");
    CheckApp.Check check;
    try {
      check = config.finalCheck().get().check(context(new ToolCall("final_check", "check_app", "{}"), sandbox));
    } catch (CancelledException e) {
      throw e;
    } catch (ChatBuilderException e) {
      status("the final check could not run: " + e.getMessage());
      return false;
    }
    if (check.passed()) {
      status("final check passed: " + String.join(", ", check.commands()));
      return false;
    }
    int count = check.errors().size() + check.moreErrors();
    if (check.repeated()) {
      status("final check: the same " + count + (count == 1 ? " error" : " errors")
          + " the model's last check_app found; not asking again");
      return false;
    }
    status("final check found " + count + (count == 1 ? " error" : " errors") + ": asking the model to fix them");
    append(new ChatMessage.Note("An automatic check_app after your changes found errors:\n"
        + check.report() + "Fix them, then reply with your summary. There is no further automatic check in this run."));
    return true;
  }

  private void status(String text) {
    events.emit((a, r, s, t) -> new Event.Status(a, r, s, t, text));
  }

  private void runTools(ModelResponse response) {
    List<ToolCall> calls = response.toolCalls();
    for (int i = 0; i < calls.size(); i++) {
      try {
        cancellation.throwIfCancelled();
        runTool(calls.get(i), response.finishReason() == FinishReason.LENGTH);
      } catch (RuntimeException | Error e) {
        // Every call needs exactly one result, or every later request to the model is invalid.
        String why = e instanceof CancelledException ? "Not run: the run was cancelled." : "Not run: the run failed.";
        for (int j = i; j < calls.size(); j++) {
          if (!hasResult(calls.get(j))) {
            append(new ChatMessage.ToolResult(calls.get(j).id(), calls.get(j).name(), why, true));
          }
        }
        throw e;
      }
    }
  }

  private boolean hasResult(ToolCall call) {
    List<ChatMessage> messages = context.stored();
    for (int i = messages.size() - 1; i >= 0 && !(messages.get(i) instanceof ChatMessage.Assistant); i--) {
      if (messages.get(i) instanceof ChatMessage.ToolResult r && r.callId().equals(call.id())) {
        return true;
      }
    }
    return false;
  }

  private void runTool(ToolCall call, boolean cutOff) {
    JsonNode parsed = parseArguments(call.arguments());
    events.emit((a, r, s, t) -> new Event.ToolStarted(a, r, s, t, call.id(), call.name(),
        parsed != null ? parsed : TextNode.valueOf(call.arguments())));
    toolSummary.merge(call.name(), 1, Integer::sum);
    long start = System.nanoTime();
    ToolResult result = null;
    ChatBuilderException error = null;
    WriteRecordingSandbox callSandbox = new WriteRecordingSandbox(sandbox);
    try {
      Tool tool = config.tools().get(call.name());
      if (tool == null) {
        throw new InvalidArgumentException("unknown tool '" + call.name() + "'; available tools: "
            + String.join(", ", new TreeSet<>(config.tools().keySet())));
      }
      if (cutOff) {
        throw new InvalidArgumentException("not run: the model's output was cut off by its token limit, so the arguments of "
            + call.name() + " may be incomplete; call it again with complete arguments");
      }
      if (parsed == null) {
        throw new InvalidArgumentException("arguments of " + call.name() + " are not valid JSON: " + abbreviate(call.arguments(), 200));
      }
      ArgumentValidator.validate(call.name(), tool.definition().parameters(), parsed);
      result = tool.execute(context(call, callSandbox), (ObjectNode) parsed);
      if (cancellation.isCancelled()) {
        result = null;
        throw new CancelledException(call.name() + " was stopped: the run was cancelled");
      }
    } catch (CancelledException e) {
      error = e;
    } catch (ChatBuilderException e) {
      error = e;
    } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
      LOG.warn("tool {} threw in run {}", call.name(), runId, e);
      error = new ChatBuilderException(ErrorCode.INTERNAL, call.name() + " failed: " + e, e);
    }
    long durationMs = (System.nanoTime() - start) / 1_000_000;
    if (result != null) {
      ToolResult done = result;
      events.emit((a, r, s, t) -> new Event.ToolCompleted(a, r, s, t, call.id(), call.name(), done.summary(), durationMs));
      append(new ChatMessage.ToolResult(call.id(), call.name(), done.content(), false));
      reportChangesQuietly(done, callSandbox);
    } else {
      ChatBuilderException failure = error;
      events.emit((a, r, s, t) -> new Event.ToolFailed(a, r, s, t, call.id(), call.name(), failure.getMessage(),
          failure.code().wireName(), durationMs));
      append(new ChatMessage.ToolResult(call.id(), call.name(), "Error: " + failure.getMessage(), true));
      if (call.name().equals("run_command") || failure instanceof CancelledException) {
        // A failed or killed command may still have changed files.
        reportChangesQuietly(new ToolResult("", "", List.of(), true), callSandbox);
      }
      if (failure instanceof CancelledException || cancellation.isCancelled()) {
        throw new CancelledException("cancelled", failure);
      }
      if (failure instanceof LeaseLostException lost) {
        // The sandbox saw a newer holder's token: another run or operation owns the app now.
        throw lost;
      }
    }
  }

  private ToolContext context(ToolCall call, Sandbox callSandbox) {
    return new ToolContext() {
      @Override
      public String appId() {
        return appId;
      }

      @Override
      public String runId() {
        return runId;
      }

      @Override
      public String callId() {
        return call.id();
      }

      @Override
      public Sandbox sandbox() {
        return callSandbox;
      }

      @Override
      public Cancellation cancellation() {
        return cancellation;
      }

      @Override
      public io.chatbuilder.core.access.AppPrincipal principal() {
        return principal;
      }

      @Override
      public java.util.Map<String, String> attributes() {
        return attributes;
      }

      @Override
      public void status(String text) {
        events.emit((a, r, s, t) -> new Event.Status(a, r, s, t, text));
      }
    };
  }

  /** file_changes is informational; the checkpoint at the end finds every change on its own. */
  private void reportChangesQuietly(ToolResult result, WriteRecordingSandbox callSandbox) {
    try {
      reportChanges(result, callSandbox);
    } catch (CancelledException e) {
      throw e;
    } catch (RuntimeException e) {
      LOG.warn("run {}: could not report file changes: {}", runId, e.toString());
    }
  }

  /** Emits file_changes for what a tool changed, compared with what was last reported. */
  private void reportChanges(ToolResult result, WriteRecordingSandbox callSandbox) {
    TreeSet<String> paths = new TreeSet<>();
    for (String p : result.touchedPaths()) {
      paths.add(SandboxPaths.normalize(p));
    }
    if (result.rescan()) {
      paths.addAll(sandbox.scanChanges().paths());
    }
    if (paths.isEmpty()) {
      return;
    }
    SortedMap<String, Optional<byte[]>> before = new TreeMap<>();
    SortedMap<String, Optional<byte[]>> after = new TreeMap<>();
    List<String> unknown = new ArrayList<>();
    for (String path : paths) {
      if (!reported.containsKey(path)) {
        unknown.add(path);
      }
    }
    Map<String, byte[]> base = history.store().contentsOf(history.store().lookup(baseRevisionId, unknown));
    for (String path : paths) {
      Optional<byte[]> old = reported.containsKey(path) ? reported.get(path) : Optional.ofNullable(base.get(path));
      Optional<byte[]> now = result.rescan() ? Optional.empty() : callSandbox.written(path);
      if (now.isEmpty()) {
        try {
          now = sandbox.tryRead(path).map(FileContent::bytes);
        } catch (ChatBuilderException e) {
          continue;
        }
      }
      before.put(path, old);
      after.put(path, now);
      reported.put(path, now);
    }
    List<FileChange> changes = Changes.between(before, after);
    if (!changes.isEmpty()) {
      events.emit((a, r, s, t) -> new Event.FileChanges(a, r, s, t, changes));
    }
  }

  private Optional<Checkpoint> recordCheckpoint(RunOutcome outcome) {
    if (baseRevisionId == null) {
      return Optional.empty(); // failed before the run began; nothing of this run to record
    }
    syncLockfileQuietly();
    Optional<History.Recorded> recorded = history.capture(appId, sandbox, CheckpointType.AGENT_RUN, label(),
        Optional.of(runId), Optional.of(outcome), toolSummary, lease.lease());
    recorded.ifPresent(rec -> events.emit((a, r, s, t) -> new Event.CheckpointCreated(a, r, s, t, rec.checkpoint())));
    return recorded.map(History.Recorded::checkpoint);
  }

  /**
   * Lets the draft runtime update the lockfile the run's dependency changes need, so the run's
   * checkpoint records both (issue 17). A package manager that fails is reported as a status; the
   * checkpoint is recorded anyway (the draft and a publish report the same error).
   */
  private void syncLockfileQuietly() {
    if (config.lockfiles().isEmpty()) {
      return;
    }
    try {
      config.lockfiles().get().syncLockfile(appId, sandbox,
          message -> events.emit((a, r, s, t) -> new Event.Status(a, r, s, t, message)));
    } catch (RuntimeException e) {
      // npm failed, or the runtime is closing: never a reason to lose the run's checkpoint
      LOG.info("run {} of app {}: could not update the lockfile: {}", runId, appId, e.toString());
      String why = String.valueOf(e.getMessage());
      events.emit((a, r, s, t) -> new Event.Status(a, r, s, t, "could not update package-lock.json: " + why));
    }
  }

  /** The run's checkpoint label: the message on one line, abbreviated. */
  public String label() {
    return abbreviate(message.strip().replaceAll("\\s+", " "), 80);
  }

  private static JsonNode parseArguments(String raw) {
    String text = raw.isBlank() ? "{}" : raw;
    return JSON.tryRead(text).orElse(null);
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
