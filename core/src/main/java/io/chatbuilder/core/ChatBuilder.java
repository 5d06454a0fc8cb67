package io.chatbuilder.core;

import io.chatbuilder.core.access.AccessDeniedException;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDiff;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.HistoryOptions;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.InMemoryLeaseStore;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.conversation.InMemoryConversationStore;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.AppEventListener;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventListener;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryAppEventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import io.chatbuilder.core.internal.AgentConfig;
import io.chatbuilder.core.internal.AgentRun;
import io.chatbuilder.core.internal.AppLeases;
import io.chatbuilder.core.internal.EventWriter;
import io.chatbuilder.core.internal.AppStreams;
import io.chatbuilder.core.internal.AttachmentFiles;
import io.chatbuilder.core.internal.History;
import io.chatbuilder.core.internal.Recovery;
import io.chatbuilder.core.internal.RunEvents;
import io.chatbuilder.core.internal.SandboxCache;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.core.tool.BuiltinTools;
import io.chatbuilder.core.tool.CheckApp;
import io.chatbuilder.core.tool.EditTools;
import io.chatbuilder.core.tool.ReadPreviewLogs;
import io.chatbuilder.core.tool.Tool;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The entry point a host application builds once and shares: chat with the agent about an app, and
 * move through the app's checkpoints (list, undo, redo, restore, revert one file, diff).
 *
 * <pre>{@code
 * ChatBuilder builder = ChatBuilder.builder()
 *     .model(model)                                   // e.g. from the models module
 *     .sandboxes(appId -> LocalSandbox.builder(root.resolve(appId)).build())
 *     .checkpointStore(store)                         // in memory unless given
 *     .build();
 * RunHandle run = builder.chat("shop", "Add a dark-mode toggle");
 * run.subscribe(0, event -> ui.send(event));
 * RunResult result = run.completion().join();
 * builder.undo("shop");
 * }</pre>
 *
 * <p>One run or history operation at a time per app, across every host sharing the store: each
 * takes the app's lease ({@link LeaseStore}) before it touches the workspace, renews it every ttl/3
 * and releases it before its terminal event goes out; a second request, here or on another host,
 * gets {@link BusyException} at once. A run that loses its lease stops (its model stream is
 * cancelled) and fails with {@link LeaseLostException}; its checkpoints are refused by the store.
 * Thread-safe. {@link #close()} cancels runs, releases this host's leases and closes the sandboxes
 * it opened.
 */
public final class ChatBuilder implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChatBuilder.class);
  private static final int EVENT_BATCH = 500;
  private static final Duration EVENT_FLUSH_ON_CLOSE = Duration.ofSeconds(10);

  private final AgentConfig config;
  private final AppAccessPolicy accessPolicy;
  private final CheckpointStore store;
  private final ConversationStore conversations;
  private final EventLog eventLog;
  private final List<EventListener> listeners;
  private final Clock clock;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final History history;
  private final AppLeases leases;
  private final Recovery recovery;
  private final Optional<DraftRuntime> draftRuntime;
  private final Optional<Publisher> publisher;
  private final Map<String, AppTemplate> templates;
  private final SandboxCache sandboxes;
  private final AppStreams appStreams;
  private final Map<String, io.chatbuilder.core.runtime.DraftState> draftStates = new ConcurrentHashMap<>();
  private final Map<String, LockHolder> busy = new ConcurrentHashMap<>();
  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  /** Runs whose events are not all stored yet, by app and run id: served from memory until they are. */
  private final Map<String, RunEvents> unsettled = new ConcurrentHashMap<>();
  private final EventWriter eventWriter;
  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;

  private ChatBuilder(Builder b) {
    this.accessPolicy = b.accessPolicy;
    Map<String, Tool> tools = new LinkedHashMap<>();
    if (b.builtinTools) {
      (b.editTools != null ? BuiltinTools.with(b.editTools) : BuiltinTools.forModel(b.model.name()))
          .forEach(t -> tools.put(t.definition().name(), t));
    }
    // issue 16: with a draft runtime the agent checks its own work (check_app, read_preview_logs)
    CheckApp checkApp = CheckApp.create();
    if (b.builtinTools && b.draftRuntime != null) {
      tools.put(checkApp.definition().name(), checkApp);
      ReadPreviewLogs logs = ReadPreviewLogs.create(b.draftRuntime);
      tools.put(logs.definition().name(), logs);
    }
    for (Tool t : b.tools) {
      tools.put(t.definition().name(), t);
    }
    this.config = new AgentConfig(b.model, tools, b.systemPrompt, b.maxSteps, b.contextBudgetChars, b.maxOutputTokens,
        b.checkBeforeDone ? Optional.of(checkApp) : Optional.empty(), Optional.ofNullable(b.draftRuntime));
    this.store = b.store;
    this.conversations = b.conversations;
    this.eventLog = b.eventLog;
    this.eventWriter = new EventWriter(b.eventLog, b.eventRetry, b.eventQueueCapacity, EVENT_BATCH);
    // The app stream learns of run starts, run checkpoints and run ends (recovered ones included)
    // as one more listener of every run.
    this.appStreams = new AppStreams(b.appEventLog, b.clock);
    List<EventListener> all = new ArrayList<>(b.listeners);
    all.add(appStreams.runListener());
    this.listeners = List.copyOf(all);
    this.clock = b.clock;
    this.ownsExecutor = b.executor == null;
    this.executor = b.executor != null ? b.executor : Executors.newCachedThreadPool(daemonThreads());
    LeaseStore leaseStore = b.leaseStore != null ? b.leaseStore
        : b.store instanceof LeaseStore own ? own : new InMemoryLeaseStore();
    this.leases = new AppLeases(leaseStore, b.hostId != null ? b.hostId : newHostId(), b.leaseTtl);
    this.history = new History(store, leaseStore, conversations, clock);
    this.recovery = new Recovery(history, leaseStore, eventLog, conversations, listeners, clock);
    this.draftRuntime = Optional.ofNullable(b.draftRuntime);
    this.publisher = Optional.ofNullable(b.publisher);
    this.templates = Map.copyOf(b.templates);
    this.sandboxes = new SandboxCache(b.sandboxes, b.sandboxIdleTimeout);
    // Preview diagnostics (deduplicated and throttled by the runtime) go on the app stream.
    this.draftRuntime.ifPresent(runtime -> runtime.onDiagnostic((appId, d) -> {
      try {
        reportPreviewError(appId, d.kind().wireName(), d.message(), d.file(), d.line().orElse(0), d.column().orElse(0),
            (int) Math.min(Integer.MAX_VALUE, d.count()));
      } catch (RuntimeException e) {
        LOG.warn("could not put a preview diagnostic of app {} on its app stream: {}", appId, e.toString());
      }
    }));
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ chat

  /**
   * Starts an agent run for one message of the person. Returns at once; the run goes on in the
   * background.
   *
   * @throws BusyException if the app has a run or history operation in progress
   * @throws InvalidArgumentException if the app id or message is not acceptable
   */
  public RunHandle chat(String appId, String message) {
    Objects.requireNonNull(message, "message == null");
    checkAppId(appId);
    return chat(appId, ChatInput.of(message));
  }

  /**
   * Starts an agent run for a message and what the person attached to it: selected elements, file
   * references, preview errors and images ({@link Attachment}). Referenced files are read through the
   * app's sandbox now, with its path rules and size limits, and kept with the message in the
   * conversation; the model gets the attachments as text of the user turn and images as image
   * parts, in this turn and in the later requests of the conversation. Returns at once. This is the
   * host's own call: no {@link AppAccessPolicy} is asked (a person's run goes through
   * {@link #chat(String, RunRequest)} or {@link #app(String, AppPrincipal)}).
   *
   * @throws BusyException if the app has a run or history operation in progress
   * @throws InvalidArgumentException if the app id, the message or an attachment is not acceptable
   *     (no run is started)
   * @throws PathRefusedException if a referenced path is refused by the sandbox
   * @throws NotFoundException if a referenced file does not exist
   * @throws TooLargeException if a referenced file's text is too long
   */
  public RunHandle chat(String appId, ChatInput input) {
    Objects.requireNonNull(input, "input == null");
    checkAppId(appId);
    // The host's own call, like every method here that takes no principal: no policy is asked.
    return startRun(appId, new RunRequest(input, AppPrincipal.ANONYMOUS, Map.of(), Optional.empty()));
  }

  /**
   * Starts an agent run as {@code request} describes it: message and attachments as in
   * {@link #chat(String, ChatInput)}, on behalf of its principal (the {@link AppAccessPolicy} of
   * this facade must allow it {@link AppAction#CHAT}), with its attributes (they reach every tool's
   * {@link io.chatbuilder.core.tool.ToolContext} and the {@code run_started} event) and, if it names
   * one, its model instead of the facade's. Returns at once.
   *
   * @throws AccessDeniedException if the policy denies the principal (nothing is started or recorded)
   * @throws BusyException if the app has a run or history operation in progress
   * @throws InvalidArgumentException if the app id or an attachment is not acceptable
   */
  public RunHandle chat(String appId, RunRequest request) {
    checkAppId(appId);
    Objects.requireNonNull(request, "request == null");
    accessPolicy.check(request.principal(), appId, AppAction.CHAT);
    return startRun(appId, request);
  }

  private RunHandle startRun(String appId, RunRequest request) {
    ChatInput input = request.input();
    String message = input.message();
    AgentConfig runConfig = request.model().map(config::withModel).orElse(config);
    checkOpen();
    String runId = newRunId();
    LockHolder holder = lock(appId, "run " + runId + " is in progress");
    AppLeases.Held lease = null;
    SandboxCache.Held hold = null;
    try {
      Cancellation cancellation = new Cancellation();
      // Losing the lease cancels the model stream and any command; the run then fails as lost.
      lease = leases.acquire(appId, "run " + runId, lost -> cancellation.cancel());
      AppLeases.Held held = lease;
      // Held (never evicted) for the whole run, and fenced: once another holder's higher token
      // reached the sandbox, this run's late writes are refused there too.
      hold = holdSandbox(appId);
      SandboxCache.Held sandboxHold = hold;
      Sandbox sandbox = hold.sandbox().fenced(held.lease().token());
      // Before anything of the run exists: a file that cannot be attached starts no run.
      ChatMessage.User user = new ChatMessage.User(message, AttachmentFiles.resolve(sandbox, input.attachments()));
      String eventsKey = appId + "/" + runId;
      // An event store that cannot keep up fails the run (STORE_ERROR) through its cancellation.
      RunEvents events = new RunEvents(appId, runId, eventWriter, listeners, clock, cancellation::cancel,
          () -> unsettled.remove(eventsKey));
      unsettled.put(eventsKey, events);
      Run run = new Run(appId, runId, events, cancellation);
      runs.put(appId, run);
      // The app is free before the terminal event goes out: a client that sends its next message
      // the moment it sees run_completed must not get busy, here or on another host.
      Runnable release = () -> {
        runs.remove(appId, run);
        sandboxHold.close();
        held.release();
        unlock(appId, holder);
      };
      AgentRun agent = new AgentRun(appId, runId, user, runConfig, history, conversations, sandbox, events, cancellation,
          held, recovery, release, request.principal(), request.attributes());
      // Before the caller learns the run id: what a dead earlier holder left is ended first (so its
      // files are credited to it, not to this run), then this run is recorded as in progress, so
      // that if this host dies from here on, the next one ends the run (DESIGN §3.2).
      Optional<String> headBefore = headId(appId);
      try {
        recovery.recover(appId, sandbox, held.lease());
      } finally {
        emitCheckpointsSince(appId, headBefore);
      }
      recovery.recordRun(held.lease(), runId, agent.label());
      executor.execute(() -> {
        RunResult result;
        try {
          result = agent.run();
        } catch (RuntimeException | Error e) {
          result = new RunResult(appId, runId, RunOutcome.FAILED, Optional.empty(), Usage.ZERO, 0, Map.of(),
              Optional.of(e.toString()), Optional.of(ErrorCode.INTERNAL));
          if (!events.ended()) {
            // A stream that never ends would leave UIs waiting forever.
            String failure = "internal error: " + e;
            try {
              events.emitTerminal((a, r, s, t) -> new Event.RunFailed(a, r, s, t, failure, ErrorCode.INTERNAL.wireName()),
                  terminal -> {
                    try {
                      recovery.recordRunEnd(held.lease(), runId, agent.label(), terminal);
                    } catch (RuntimeException ignored) {
                      // the next holder then ends the run as a dead host's
                    }
                    release.run();
                  });
            } catch (RuntimeException ignored) {
              // already ended concurrently
            }
          }
          release.run();
        } finally {
          release.run();
        }
        run.completion.complete(result);
      });
      return run;
    } catch (RuntimeException e) {
      runs.remove(appId);
      if (hold != null) {
        hold.close();
      }
      unsettled.remove(appId + "/" + runId);
      if (lease != null) {
        lease.release();
      }
      unlock(appId, holder);
      throw e;
    }
  }

  /**
   * One app as {@code principal} sees it: chat and every history operation, each asked of the
   * {@link Builder#accessPolicy access policy} first.
   *
   * @throws InvalidArgumentException if the app id is not acceptable
   */
  public AppHandle app(String appId, AppPrincipal principal) {
    checkAppId(appId);
    return new AppHandle(this, appId, Objects.requireNonNull(principal, "principal == null"), accessPolicy);
  }

  /** {@link #app(String, AppPrincipal)} for an anonymous caller. */
  public AppHandle app(String appId) {
    return app(appId, AppPrincipal.ANONYMOUS);
  }

  /** The app's run in progress, if any. */
  public Optional<RunHandle> activeRun(String appId) {
    return Optional.ofNullable(runs.get(appId));
  }

  /**
   * A run's events with {@code seq > afterSeq}, live or finished (from the event log), for a UI that
   * reloads or reconnects.
   */
  public List<Event> events(String appId, String runId, long afterSeq) {
    Run run = runs.get(appId);
    if (run != null && run.runId.equals(runId)) {
      return run.events().stream().filter(e -> e.seq() > afterSeq).toList();
    }
    RunEvents unstored = unsettled.get(appId + "/" + runId);
    if (unstored != null) {
      // Finished, but its tail may not be in the log yet.
      return unstored.events().stream().filter(e -> e.seq() > afterSeq).toList();
    }
    return eventLog.read(appId, runId, afterSeq);
  }

  /** Ids of the app's runs, newest first (runs whose events are not stored yet included). */
  public List<String> runIds(String appId, int limit) {
    List<String> stored = eventLog.runIds(appId, limit);
    String prefix = appId + "/";
    List<String> pending = unsettled.keySet().stream().filter(k -> k.startsWith(prefix))
        .map(k -> k.substring(prefix.length())).filter(id -> !stored.contains(id))
        .sorted(java.util.Comparator.reverseOrder()).toList(); // run ids begin with their start time
    if (pending.isEmpty()) {
      return stored;
    }
    List<String> all = new ArrayList<>(pending);
    all.addAll(stored);
    return List.copyOf(all.subList(0, Math.min(limit, all.size())));
  }

  /** The app's conversation as the model sees it (before the context budget). */
  public List<ChatMessage> conversation(String appId) {
    checkAppId(appId);
    return conversations.load(appId);
  }

  // ------------------------------------------------------------------ the app stream

  /**
   * The app stream's events with {@code seq > afterSeq}, oldest first, at most 1000 (read again
   * after the last for more): every run start and end, checkpoint, draft state change, publish
   * step and preview error of the app (DESIGN §3.1).
   */
  public List<AppEvent> appEvents(String appId, long afterSeq) {
    checkAppId(appId);
    return appStreams.read(appId, afterSeq, 1000);
  }

  /**
   * Delivers the app stream's events with {@code seq > afterSeq} (the backlog from the log) and
   * then live ones, in seq order with no gap and no duplicate. A listener that throws is
   * unsubscribed. Events other hosts append are delivered when this host next appends one for the
   * app; poll {@link #appEvents} to see them sooner.
   */
  public RunHandle.Subscription subscribeApp(String appId, long afterSeq, AppEventListener listener) {
    checkAppId(appId);
    return appStreams.subscribe(appId, afterSeq, Objects.requireNonNull(listener, "listener == null"));
  }

  /**
   * Puts an error of the draft preview on the app stream ({@code preview_error}); for the draft
   * runtime's diagnostics. Returns the event as appended, empty if the log refused it.
   */
  public Optional<AppEvent> reportPreviewError(String appId, String kind, String message, Optional<String> file, int line,
      int column, int count) {
    checkAppId(appId);
    return appStreams.emit(new AppEvent.PreviewError(appId, 0, clock.instant(), kind, message, file, line, column, count));
  }

  // ------------------------------------------------------------------ checkpoints

  /** Records the app's {@code initial} checkpoint from its sandbox files if it has none; returns the head. */
  public Checkpoint initialize(String appId) {
    return exclusive(appId, "initializing", (lease, sandbox) -> history.initialize(appId, sandbox, lease));
  }

  /** The app's checkpoints, newest first, at most {@code limit}. */
  public List<Checkpoint> checkpoints(String appId, int limit) {
    checkAppId(appId);
    return store.list(appId, limit, Optional.empty());
  }

  /** A page of checkpoints older than {@code beforeId}, newest first. */
  public List<Checkpoint> checkpoints(String appId, int limit, String beforeId) {
    checkAppId(appId);
    return store.list(appId, limit, Optional.of(beforeId));
  }

  public Optional<Checkpoint> head(String appId) {
    checkAppId(appId);
    return store.head(appId);
  }

  /** One checkpoint. @throws NotFoundException if the app has no such checkpoint */
  public Checkpoint checkpoint(String appId, String checkpointId) {
    checkAppId(appId);
    return history.require(appId, checkpointId);
  }

  /**
   * Undoes the latest change that is not already undone and records an {@code undo} checkpoint.
   * Edits made outside the agent are recorded first, so they are never lost.
   *
   * @throws NothingToDoException if there is nothing to undo
   */
  public Checkpoint undo(String appId) {
    return undo(appId, HistoryOptions.DEFAULTS);
  }

  public Checkpoint undo(String appId, HistoryOptions options) {
    Objects.requireNonNull(options, "options == null");
    return exclusive(appId, "undo in progress", (lease, sandbox) -> history.undo(appId, sandbox, options, lease).checkpoint());
  }

  /** Re-applies the latest undone change; a new change since the undo clears redo. */
  public Checkpoint redo(String appId) {
    return redo(appId, HistoryOptions.DEFAULTS);
  }

  public Checkpoint redo(String appId, HistoryOptions options) {
    Objects.requireNonNull(options, "options == null");
    return exclusive(appId, "redo in progress", (lease, sandbox) -> history.redo(appId, sandbox, options, lease).checkpoint());
  }

  /** Sets the app's files to those of any checkpoint and records a {@code restore} checkpoint. */
  public Checkpoint restore(String appId, String checkpointId) {
    return restore(appId, checkpointId, HistoryOptions.DEFAULTS);
  }

  public Checkpoint restore(String appId, String checkpointId, HistoryOptions options) {
    Objects.requireNonNull(options, "options == null");
    return exclusive(appId, "restore in progress",
        (lease, sandbox) -> history.restore(appId, sandbox, checkpointId, options, lease).checkpoint());
  }

  /**
   * Sets one file to its content in a checkpoint (deleting it if it did not exist there) and
   * records a {@code revert_file} checkpoint.
   */
  public Checkpoint revertFile(String appId, String checkpointId, String path) {
    return exclusive(appId, "revert in progress",
        (lease, sandbox) -> history.revertFile(appId, sandbox, checkpointId, path, lease).checkpoint());
  }

  /**
   * Loads another host's newer history into this host's workspace after a {@link ConflictException}:
   * this workspace's differing files are first recorded on top of the latest checkpoint, then the
   * latest checkpoint's files are restored (both undoable). Returns the new head.
   */
  public Checkpoint resync(String appId) {
    return exclusive(appId, "resync in progress", (lease, sandbox) -> {
      history.resync(appId, sandbox, lease);
      return store.head(appId).orElseThrow();
    });
  }

  /** What differs between two checkpoints' files. */
  public CheckpointDiff diff(String appId, String fromCheckpointId, String toCheckpointId) {
    checkAppId(appId);
    return history.diff(appId, fromCheckpointId, toCheckpointId);
  }

  /** Whether {@link #undo} and {@link #redo} would do something now. */
  public UndoRedoState undoRedoState(String appId) {
    checkAppId(appId);
    boolean[] state = history.canUndoRedo(appId);
    return new UndoRedoState(state[0], state[1]);
  }

  /** Whether undo and redo are available, for enabling UI buttons. */
  public record UndoRedoState(boolean canUndo, boolean canRedo) {}

  /** One file of a checkpoint (e.g. for a file picker or a preview), empty if it lacks the path. */
  public Optional<byte[]> readFile(String appId, String checkpointId, String path) {
    Checkpoint c = checkpoint(appId, checkpointId);
    return store.readFile(c.resultRevisionId(), io.chatbuilder.core.sandbox.SandboxPaths.normalize(path));
  }

  /** The files of a checkpoint: path to size. */
  public java.util.SortedMap<String, Long> files(String appId, String checkpointId) {
    Checkpoint c = checkpoint(appId, checkpointId);
    java.util.SortedMap<String, Long> out = new java.util.TreeMap<>();
    store.revision(c.resultRevisionId()).files().forEach((p, ref) -> out.put(p, ref.size()));
    return out;
  }

  // ------------------------------------------------------------------ forks, labels and bookmarks

  /**
   * Forks an app ("remix"): makes {@code newAppId} a new app that starts with the files of
   * {@code sourceAppId}'s checkpoint {@code checkpointId}, recorded as its first checkpoint, of type
   * {@code fork}, which names the source app and checkpoint. The store shares the source's revision
   * and blobs, so the fork costs O(1) storage; the files are written into the new app's (empty)
   * sandbox. Takes the new app's lease; the source app is only read, so its runs go on. The new app
   * has its own history and conversation: nothing done in it touches the source.
   *
   * @throws NotFoundException if the source app has no such checkpoint
   * @throws ConflictException if the new app already has checkpoints, or no history but a sandbox
   *     that holds files (they are not overwritten)
   */
  public Checkpoint fork(String sourceAppId, String checkpointId, String newAppId) {
    checkAppId(sourceAppId);
    checkAppId(newAppId);
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    if (sourceAppId.equals(newAppId)) {
      throw new ConflictException("cannot fork app " + sourceAppId + " onto itself; name a new app");
    }
    Checkpoint source = history.require(sourceAppId, checkpointId);
    return exclusive(newAppId, "forking into the app", (lease, sandbox) -> {
      if (store.head(newAppId).isPresent()) {
        throw new ConflictException("cannot fork onto app " + newAppId + ": it already exists");
      }
      if (!sandbox.files().isEmpty()) {
        throw new ConflictException("app " + newAppId + " has no history but its sandbox already holds "
            + sandbox.files().size() + " files; refusing to overwrite them");
      }
      java.util.SortedMap<String, io.chatbuilder.core.checkpoint.FileRef> refs = store.revision(source.resultRevisionId()).files();
      java.util.SortedMap<String, Optional<byte[]>> files = new java.util.TreeMap<>();
      store.contentsOf(refs).forEach((path, bytes) -> files.put(path, Optional.of(bytes)));
      io.chatbuilder.core.checkpoint.ForkDraft draft = new io.chatbuilder.core.checkpoint.ForkDraft(newAppId, sourceAppId, source.id(),
          "Fork of " + sourceAppId + " at " + describeForFork(source), conversations.size(newAppId),
          io.chatbuilder.core.checkpoint.ChangeStats.of(io.chatbuilder.core.internal.Changes.between(new java.util.TreeMap<>(), files)),
          clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
      try {
        sandbox.apply(files);
        io.chatbuilder.core.sandbox.ChangeScan scan = sandbox.scanChanges();
        Checkpoint forked = forkUnderLease(draft, lease);
        sandbox.acknowledgeChanges(scan.generation());
        return forked;
      } catch (RuntimeException e) {
        // Nothing was recorded: leave the sandbox empty again, so the fork can be retried.
        java.util.Map<String, Optional<byte[]>> none = new java.util.TreeMap<>();
        files.keySet().forEach(path -> none.put(path, Optional.empty()));
        try {
          sandbox.apply(none);
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    });
  }

  /** Same rules as History's appends: atomic with the store's own leases, checked just before otherwise. */
  private Checkpoint forkUnderLease(io.chatbuilder.core.checkpoint.ForkDraft draft, Lease lease) {
    if (leases.store() == store) {
      return store.fork(draft, lease);
    }
    Optional<Lease> live = leases.store().current(lease.appId());
    if (live.isEmpty() || live.get().token() != lease.token()) {
      throw new LeaseLostException("the lease of " + lease.holder() + " on app " + lease.appId() + " (token "
          + lease.token() + ") is lost; nothing was recorded");
    }
    return store.fork(draft);
  }

  private static String describeForFork(Checkpoint source) {
    String label = source.label().strip();
    int newline = label.indexOf('\n');
    label = newline < 0 ? label : label.substring(0, newline);
    return label.isEmpty() ? "checkpoint " + source.id() : "checkpoint " + source.id() + " (" + label + ")";
  }

  /**
   * Adds a label ({@link io.chatbuilder.core.checkpoint.CheckpointLabels}: e.g. "v1", "before redesign") to a checkpoint and
   * returns its labels. Metadata only: no lease is taken and the history is not rewritten.
   *
   * @throws InvalidArgumentException if the label is invalid or the checkpoint has too many
   * @throws NotFoundException if the app has no such checkpoint
   */
  public java.util.SortedSet<String> label(String appId, String checkpointId, String label) {
    checkAppId(appId);
    return store.addLabel(appId, Objects.requireNonNull(checkpointId, "checkpointId == null"), label);
  }

  /** Removes a label from a checkpoint (nothing happens if it lacks it) and returns its labels. */
  public java.util.SortedSet<String> unlabel(String appId, String checkpointId, String label) {
    checkAppId(appId);
    return store.removeLabel(appId, Objects.requireNonNull(checkpointId, "checkpointId == null"), label);
  }

  /** A checkpoint's labels. @throws NotFoundException if the app has no such checkpoint */
  public java.util.SortedSet<String> labels(String appId, String checkpointId) {
    checkAppId(appId);
    return store.labels(appId, Objects.requireNonNull(checkpointId, "checkpointId == null"));
  }

  /** The app's labelled checkpoints, newest first, with their labels. */
  public List<io.chatbuilder.core.checkpoint.LabelledCheckpoint> labelled(String appId) {
    checkAppId(appId);
    return store.labelled(appId);
  }

  /** The app's checkpoints with a label equal to, or starting with, the query's text; newest first. */
  public List<io.chatbuilder.core.checkpoint.LabelledCheckpoint> findByLabel(String appId, io.chatbuilder.core.checkpoint.LabelQuery query) {
    checkAppId(appId);
    return store.findByLabel(appId, Objects.requireNonNull(query, "query == null"));
  }

  /** Bookmarks a checkpoint: the label {@value io.chatbuilder.core.checkpoint.CheckpointLabels#BOOKMARK}. */
  public java.util.SortedSet<String> bookmark(String appId, String checkpointId) {
    return label(appId, checkpointId, io.chatbuilder.core.checkpoint.CheckpointLabels.BOOKMARK);
  }

  public java.util.SortedSet<String> unbookmark(String appId, String checkpointId) {
    return unlabel(appId, checkpointId, io.chatbuilder.core.checkpoint.CheckpointLabels.BOOKMARK);
  }

  /** The app's bookmarked checkpoints, newest first. */
  public List<io.chatbuilder.core.checkpoint.LabelledCheckpoint> bookmarks(String appId) {
    return findByLabel(appId, io.chatbuilder.core.checkpoint.LabelQuery.exact(io.chatbuilder.core.checkpoint.CheckpointLabels.BOOKMARK));
  }

  // ------------------------------------------------------------------ apps, draft and publish

  /** The templates new apps can start from, by id. */
  public Map<String, AppTemplate> templates() {
    return templates;
  }

  /**
   * Creates an app from a template: writes the template's files into the app's (empty) sandbox and
   * records them as the {@code initial} checkpoint.
   *
   * @throws NotFoundException if there is no such template
   * @throws ConflictException if the app already has checkpoints
   */
  public Checkpoint createApp(String appId, String templateId) {
    AppTemplate template = templates.get(Objects.requireNonNull(templateId, "templateId == null"));
    if (template == null) {
      throw new NotFoundException("no template '" + templateId + "'; available: " + new java.util.TreeSet<>(templates.keySet()));
    }
    return exclusive(appId, "creating the app", (lease, sandbox) -> {
      if (store.head(appId).isPresent()) {
        throw new ConflictException("app " + appId + " already exists");
      }
      if (!sandbox.files().isEmpty()) {
        throw new ConflictException("app " + appId + " has no history but its sandbox already holds "
            + sandbox.files().size() + " files; refusing to overwrite them");
      }
      template.files().forEach(sandbox::write);
      // a template without a lockfile gets one before its first checkpoint (issue 17)
      draftRuntime.ifPresent(runtime -> {
        try {
          runtime.syncLockfile(appId, sandbox, message -> appStreams.emit(new AppEvent.DraftProgress(appId, 0, clock.instant(), message)));
        } catch (RuntimeException e) {
          LOG.info("app {}: could not create its lockfile: {}", appId, e.toString());
          appStreams.emit(new AppEvent.DraftProgress(appId, 0, clock.instant(), "could not create package-lock.json: " + e.getMessage()));
        }
      });
      return history.initialize(appId, sandbox, lease);
    });
  }

  /** Starts (or returns) the app's draft dev server. @throws IllegalStateException without a draft runtime */
  public DraftStatus startDraft(String appId, StatusListener listener) {
    checkAppId(appId);
    Objects.requireNonNull(listener, "listener == null");
    DraftRuntime runtime = requireDraftRuntime();
    DraftStatus status = runtime.start(appId, message -> {
      appStreams.emit(new AppEvent.DraftProgress(appId, 0, clock.instant(), message));
      listener.onStatus(message);
    });
    emitDraftState(status);
    return status;
  }

  /** The draft's status; a state that changed since last seen (a crash, a restart) goes on the app stream. */
  public DraftStatus draftStatus(String appId) {
    checkAppId(appId);
    DraftStatus status = requireDraftRuntime().status(appId);
    emitDraftState(status);
    return status;
  }

  public void stopDraft(String appId) {
    checkAppId(appId);
    requireDraftRuntime().stop(appId);
    emitDraftState(requireDraftRuntime().status(appId));
  }

  /**
   * Publishes a checkpoint (a deterministic build of its files, not of the draft's working files).
   * A failed build is a result with {@code success == false}.
   */
  public PublishResult publish(String appId, String checkpointId, StatusListener listener) {
    Checkpoint checkpoint = checkpoint(appId, checkpointId);
    Objects.requireNonNull(listener, "listener == null");
    Publisher p = requirePublisher();
    appStreams.emit(new AppEvent.PublishStarted(appId, 0, clock.instant(), checkpoint.id()));
    PublishResult result;
    try {
      result = p.publish(appId, checkpoint, store, message -> {
        appStreams.emit(new AppEvent.PublishProgress(appId, 0, clock.instant(), checkpoint.id(), message));
        listener.onStatus(message);
      });
    } catch (RuntimeException | Error e) {
      appStreams.emit(new AppEvent.PublishFinished(appId, 0, clock.instant(), checkpoint.id(), Optional.empty(), false,
          Optional.of(String.valueOf(e.getMessage())), Optional.empty()));
      throw e;
    }
    appStreams.emit(new AppEvent.PublishFinished(appId, 0, clock.instant(), checkpoint.id(), Optional.of(result.publishId()),
        result.success(), result.error(), result.outputLocation()));
    return result;
  }

  /** Publishes the app's latest checkpoint. */
  public PublishResult publish(String appId, StatusListener listener) {
    Checkpoint head = head(appId).orElseThrow(() -> new NotFoundException("app " + appId + " has no checkpoint to publish"));
    return publish(appId, head.id(), listener);
  }

  /** One past publish of an app. */
  public Optional<PublishResult> findPublish(String appId, String publishId) {
    checkAppId(appId);
    return requirePublisher().find(appId, Objects.requireNonNull(publishId, "publishId == null"));
  }

  public List<PublishResult> publishes(String appId, int limit) {
    checkAppId(appId);
    return requirePublisher().list(appId, limit);
  }

  private DraftRuntime requireDraftRuntime() {
    return draftRuntime.orElseThrow(() -> new IllegalStateException("no draft runtime configured: builder.draftRuntime(...)"));
  }

  private Publisher requirePublisher() {
    return publisher.orElseThrow(() -> new IllegalStateException("no publisher configured: builder.publisher(...)"));
  }

  /**
   * The app's sandbox, opened on first use (outside any lock other apps wait on). For short uses:
   * one nobody holds for {@link Builder#sandboxIdleTimeout} is closed (its files stay), so call
   * this again rather than keep it; the facade closes its sandboxes, callers do not.
   */
  public Sandbox sandbox(String appId) {
    try (SandboxCache.Held held = holdSandbox(appId)) {
      return held.sandbox();
    }
  }

  /**
   * Holds the app's sandbox until the handle is closed: a held sandbox is never evicted. Runs and
   * history operations hold theirs from taking the lease to releasing it, and act on
   * {@code held.sandbox().fenced(lease.token())}.
   */
  private SandboxCache.Held holdSandbox(String appId) {
    checkAppId(appId);
    checkOpen();
    return sandboxes.acquire(appId);
  }

  /** The lease store this facade takes its apps' leases from. */
  public LeaseStore leaseStore() {
    return leases.store();
  }

  /** The checkpoint store this facade uses. */
  public CheckpointStore checkpointStore() {
    return store;
  }

  /**
   * Cancels running runs, waits briefly for them, waits up to 10 s for their events to be stored
   * (events still unstored then are logged and lost: the store was down for longer than that),
   * releases the leases this host still holds, and
   * closes the sandboxes this facade opened.
   */
  @Override
  public void close() {
    closed = true;
    List<Run> active = new ArrayList<>(runs.values());
    active.forEach(Run::cancel);
    for (Run run : active) {
      try {
        run.completion.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // closing anyway
      }
    }
    if (ownsExecutor) {
      executor.shutdownNow();
    }
    // Bounded: a store that stays down must not hang shutdown; what is unwritten then is logged.
    eventWriter.close(EVENT_FLUSH_ON_CLOSE);
    leases.close();
    draftRuntime.ifPresent(DraftRuntime::close);
    sandboxes.close();
  }

  // ------------------------------------------------------------------ internals

  /**
   * Runs a history operation under the app's in-JVM lock and its store lease, in that order, on
   * the app's sandbox held for the operation and fenced with the lease's token.
   */
  private <T> T exclusive(String appId, String what, java.util.function.BiFunction<Lease, Sandbox, T> action) {
    checkAppId(appId);
    checkOpen();
    LockHolder holder = lock(appId, what);
    try {
      // A lost lease needs no action here: the store refuses the operation's checkpoint append.
      AppLeases.Held lease = leases.acquire(appId, what, lost -> { });
      boolean done = false;
      try (SandboxCache.Held hold = holdSandbox(appId)) {
        Sandbox sandbox = hold.sandbox().fenced(lease.lease().token());
        Optional<String> headBefore = headId(appId);
        try {
          // What a dead earlier holder left half done is finished first (DESIGN §3.2).
          recovery.recover(appId, sandbox, lease.lease());
          T result = action.apply(lease.lease(), sandbox);
          done = true;
          return result;
        } finally {
          // Still under the lease, so the checkpoints past the old head are exactly this
          // operation's: outside edits, recovery, then its own.
          emitCheckpointsSince(appId, headBefore);
        }
      } finally {
        if (done) {
          // Done: its intent is cleared with the release, in one commit. One that threw keeps
          // it, so the next holder finishes or rolls back what it left half done.
          lease.clearIntentAndRelease();
        } else {
          lease.release();
        }
      }
    } finally {
      unlock(appId, holder);
    }
  }

  private Optional<String> headId(String appId) {
    try {
      return store.head(appId).map(Checkpoint::id);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private void emitCheckpointsSince(String appId, Optional<String> headBefore) {
    try {
      appStreams.checkpointsSince(store.list(appId, 50, Optional.empty()), headBefore);
    } catch (RuntimeException e) {
      // The operation's outcome stands; only its notification is lost.
      LOG.error("cannot emit the checkpoints of app {}: {}", appId, e.toString());
    }
  }

  private void emitDraftState(DraftStatus status) {
    io.chatbuilder.core.runtime.DraftState previous = draftStates.put(status.appId(), status.state());
    if (previous != status.state()) {
      appStreams.emit(new AppEvent.DraftStateChanged(status.appId(), 0, clock.instant(), status.state(), status.previewUrl(),
          status.error()));
    }
  }

  private LockHolder lock(String appId, String what) {
    LockHolder mine = new LockHolder(what);
    LockHolder holder = busy.putIfAbsent(appId, mine);
    if (holder != null) {
      throw new BusyException("app " + appId + " is busy: " + holder.what);
    }
    return mine;
  }

  /** Who holds an app; compared by identity so a late unlock never frees a later holder's lock. */
  private static final class LockHolder {
    final String what;

    LockHolder(String what) {
      this.what = what;
    }
  }

  /** Frees the app if {@code holder} still holds it (never a later holder's lock); idempotent. */
  private void unlock(String appId, LockHolder holder) {
    busy.remove(appId, holder);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this ChatBuilder is closed");
    }
  }

  static void checkAppId(String appId) {
    AppId.check(appId);
  }

  private String newHostId() {
    byte[] bytes = new byte[4];
    random.nextBytes(bytes);
    return "host-" + java.util.HexFormat.of().formatHex(bytes);
  }

  private String newRunId() {
    byte[] bytes = new byte[6];
    random.nextBytes(bytes);
    return "run_" + Long.toString(clock.millis(), 36) + java.util.HexFormat.of().formatHex(bytes);
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "chatbuilder-run-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static final class Run implements RunHandle {
    private final String appId;
    private final String runId;
    private final RunEvents events;
    private final Cancellation cancellation;
    private final CompletableFuture<RunResult> completion = new CompletableFuture<>();

    Run(String appId, String runId, RunEvents events, Cancellation cancellation) {
      this.appId = appId;
      this.runId = runId;
      this.events = events;
      this.cancellation = cancellation;
    }

    @Override
    public String appId() {
      return appId;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public void cancel() {
      if (!completion.isDone()) {
        cancellation.cancel();
      }
    }

    @Override
    public CompletableFuture<RunResult> completion() {
      return completion;
    }

    @Override
    public List<Event> events() {
      return events.events();
    }

    @Override
    public Subscription subscribe(long afterSeq, EventListener listener) {
      return events.subscribe(afterSeq, Objects.requireNonNull(listener, "listener == null"));
    }
  }

  /** Builds a {@link ChatBuilder}. A model and a sandbox provider are required. */
  public static final class Builder {
    private ModelClient model;
    private SandboxProvider sandboxes;
    private CheckpointStore store = new InMemoryCheckpointStore();
    private ConversationStore conversations = new InMemoryConversationStore();
    private EventLog eventLog = new InMemoryEventLog();
    private RetryPolicy eventRetry = new RetryPolicy(5, Duration.ofMillis(50), Duration.ofSeconds(2), 0.5);
    private int eventQueueCapacity = 100_000;
    private AppEventLog appEventLog = new InMemoryAppEventLog();
    private final List<Tool> tools = new ArrayList<>();
    private boolean builtinTools = true;
    private EditTools editTools; // null: chosen from the model's name
    private final List<EventListener> listeners = new ArrayList<>();
    private String systemPrompt = SystemPrompts.VITE_APP_BUILDER;
    private int maxSteps = 40;
    private int contextBudgetChars = 400_000;
    private OptionalInt maxOutputTokens = OptionalInt.empty();
    private Clock clock = Clock.systemUTC();
    private ExecutorService executor;
    private LeaseStore leaseStore;
    private Duration leaseTtl = Duration.ofSeconds(30);
    private Duration sandboxIdleTimeout = Duration.ofMinutes(10);
    private String hostId;
    private DraftRuntime draftRuntime;
    private boolean checkBeforeDone;
    private Publisher publisher;
    private final Map<String, AppTemplate> templates = new LinkedHashMap<>();
    private AppAccessPolicy accessPolicy = AppAccessPolicy.allowAll();

    private Builder() {}

    /** Draft mode: live dev servers with a preview (closed with the facade). */
    public Builder draftRuntime(DraftRuntime draftRuntime) {
      this.draftRuntime = Objects.requireNonNull(draftRuntime, "draftRuntime == null");
      return this;
    }

    /**
     * Runs {@code check_app} once when the model says it is done in a run that changed files (off by
     * default). If the check finds errors the model has not already seen from its own last
     * {@code check_app}, they go to the model as a note and it gets one more chance; there is never a
     * second automatic check in a run, and the same errors again end the run as it is.
     */
    public Builder checkBeforeDone(boolean on) {
      this.checkBeforeDone = on;
      return this;
    }

    /** Publish mode: deterministic builds of checkpoints. */
    public Builder publisher(Publisher publisher) {
      this.publisher = Objects.requireNonNull(publisher, "publisher == null");
      return this;
    }

    /** Registers a template for {@link ChatBuilder#createApp}; one with the same id replaces it. */
    public Builder template(AppTemplate template) {
      templates.put(Objects.requireNonNull(template, "template == null").id(), template);
      return this;
    }

    public Builder model(ModelClient model) {
      this.model = Objects.requireNonNull(model, "model == null");
      return this;
    }

    public Builder sandboxes(SandboxProvider sandboxes) {
      this.sandboxes = Objects.requireNonNull(sandboxes, "sandboxes == null");
      return this;
    }

    public Builder checkpointStore(CheckpointStore store) {
      this.store = Objects.requireNonNull(store, "store == null");
      return this;
    }

    /**
     * Where apps' leases are kept. By default the checkpoint store's own (the in-memory, JDBC and
     * Git stores keep them, and check a checkpoint's lease in the same step as its append), else
     * an {@link InMemoryLeaseStore}. Hosts that share a checkpoint store must share its leases.
     */
    public Builder leaseStore(LeaseStore leaseStore) {
      this.leaseStore = Objects.requireNonNull(leaseStore, "leaseStore == null");
      return this;
    }

    /**
     * How long a lease lasts unless renewed (default 30 s); it is renewed every third of that. A
     * host that dies holds its apps for at most this long.
     */
    public Builder leaseTtl(Duration ttl) {
      LeaseStore.checkTtl(Objects.requireNonNull(ttl, "ttl == null"));
      if (ttl.toMillis() < 30) {
        throw new IllegalArgumentException("leaseTtl must be at least 30 ms");
      }
      this.leaseTtl = ttl;
      return this;
    }

    /**
     * How long an app's sandbox stays open while nothing uses it (default 10 minutes); then it is
     * closed (its processes stopped; its files stay) and reopened on next use. A sandbox held by a
     * run or history operation is never closed for idleness.
     */
    public Builder sandboxIdleTimeout(Duration idleTimeout) {
      Objects.requireNonNull(idleTimeout, "idleTimeout == null");
      if (idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("sandboxIdleTimeout must be positive");
      }
      this.sandboxIdleTimeout = idleTimeout;
      return this;
    }

    /** Names this host in its leases, so busy errors say who holds an app (default: random). */
    public Builder hostId(String hostId) {
      Objects.requireNonNull(hostId, "hostId == null");
      if (hostId.isBlank() || hostId.length() > 100) {
        throw new IllegalArgumentException("hostId must be 1-100 characters and not blank");
      }
      this.hostId = hostId;
      return this;
    }

    public Builder conversationStore(ConversationStore conversations) {
      this.conversations = Objects.requireNonNull(conversations, "conversations == null");
      return this;
    }

    public Builder eventLog(EventLog eventLog) {
      this.eventLog = Objects.requireNonNull(eventLog, "eventLog == null");
      return this;
    }

    /**
     * How the event writer retries a failing event log (default 5 attempts, 50 ms doubling to 2 s,
     * half of it random). When the attempts are spent the runs whose events wait fail with
     * {@link ErrorCode#STORE_ERROR}; their events are kept and retried every {@code maxBackoff}
     * until the log takes them or the facade closes.
     */
    public Builder eventRetry(RetryPolicy policy) {
      this.eventRetry = Objects.requireNonNull(policy, "policy == null");
      return this;
    }

    /**
     * Events that may wait to be stored before the runs adding more fail with
     * {@link ErrorCode#STORE_ERROR} (default 100,000). The events are still kept and stored later.
     */
    public Builder eventQueueCapacity(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("eventQueueCapacity must be >= 1");
      }
      this.eventQueueCapacity = capacity;
      return this;
    }

    /** Where the app streams are kept (in memory unless given); hosts sharing an app must share it. */
    public Builder appEventLog(AppEventLog appEventLog) {
      this.appEventLog = Objects.requireNonNull(appEventLog, "appEventLog == null");
      return this;
    }

    /**
     * Who may do what with which app, asked on every call made through {@link ChatBuilder#app(String,
     * AppPrincipal)} and by {@link ChatBuilder#chat(String, RunRequest)}. Default: everything is allowed
     * (the facade's own methods that take no principal are the host's, and never asked).
     */
    public Builder accessPolicy(AppAccessPolicy policy) {
      this.accessPolicy = Objects.requireNonNull(policy, "policy == null");
      return this;
    }

    /** Adds a host tool; one with a built-in tool's name replaces it. */
    public Builder tool(Tool tool) {
      tools.add(Objects.requireNonNull(tool, "tool == null"));
      return this;
    }

    /**
     * The patch tool offered next to {@code write_file}, instead of the one chosen from the model's
     * name ({@link EditTools#forModel}).
     */
    public Builder editTools(EditTools editTools) {
      this.editTools = Objects.requireNonNull(editTools, "editTools == null");
      return this;
    }

    /** Leaves the built-in sandbox tools out (only host tools are offered). */
    public Builder withoutBuiltinTools() {
      this.builtinTools = false;
      return this;
    }

    /** Receives every event of every run (e.g. for logging or metrics). */
    public Builder listener(EventListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener == null"));
      return this;
    }

    public Builder systemPrompt(String systemPrompt) {
      this.systemPrompt = Objects.requireNonNull(systemPrompt, "systemPrompt == null");
      return this;
    }

    /** Model turns per run before it fails with {@link ErrorCode#STEP_LIMIT} (default 40). */
    public Builder maxSteps(int maxSteps) {
      if (maxSteps < 1) {
        throw new IllegalArgumentException("maxSteps must be >= 1");
      }
      this.maxSteps = maxSteps;
      return this;
    }

    /** Characters of conversation sent to the model; older tool output is shortened first. */
    public Builder contextBudgetChars(int chars) {
      if (chars < 1000) {
        throw new IllegalArgumentException("contextBudgetChars must be >= 1000");
      }
      this.contextBudgetChars = chars;
      return this;
    }

    public Builder maxOutputTokens(int tokens) {
      this.maxOutputTokens = OptionalInt.of(tokens);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock == null");
      return this;
    }

    /** Runs execute on this executor (not shut down by {@link ChatBuilder#close()}). */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor == null");
      return this;
    }

    public ChatBuilder build() {
      if (model == null) {
        throw new IllegalStateException("a model is required: builder.model(...)");
      }
      if (sandboxes == null) {
        throw new IllegalStateException("a sandbox provider is required: builder.sandboxes(appId -> ...)");
      }
      return new ChatBuilder(this);
    }
  }
}
