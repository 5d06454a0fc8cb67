package io.chatbuilder.core.internal;

import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseIntent;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventListener;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.sandbox.Sandbox;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends what a dead holder of an app's lease left half done, before the next run or history
 * operation touches the workspace. Not API.
 *
 * <ul>
 *   <li>A run: its files are recorded as its own checkpoint (outcome {@code failed}), the tool calls
 *       it left without results get error results in its conversation turn, and its event log gets
 *       a {@code checkpoint_created} (if files changed) and one terminal {@code run_failed} with code
 *       {@code host_lost}, unless the log already ends in a terminal event.
 *   <li>A history operation: finished or found rolled back ({@link History#finishInterrupted}).
 * </ul>
 * Then the intent is cleared. A failure leaves the intent in place for the next holder.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
  private static final io.chatbuilder.core.json.JsonCodec JSON = new io.chatbuilder.core.json.JsonCodec();

  private final History history;
  private final LeaseStore leases;
  private final EventLog eventLog;
  private final ConversationStore conversations;
  private final List<EventListener> listeners;
  private final Clock clock;

  public Recovery(History history, LeaseStore leases, EventLog eventLog, ConversationStore conversations,
      List<EventListener> listeners, Clock clock) {
    this.history = Objects.requireNonNull(history, "history == null");
    this.leases = Objects.requireNonNull(leases, "leases == null");
    this.eventLog = Objects.requireNonNull(eventLog, "eventLog == null");
    this.conversations = Objects.requireNonNull(conversations, "conversations == null");
    this.listeners = List.copyOf(listeners);
    this.clock = Objects.requireNonNull(clock, "clock == null");
  }

  /** What recovery did, for logs and tests. */
  public record Recovered(String kind, String detail) {}

  /**
   * Recovers what an earlier holder left, if anything; called right after {@code lease} was acquired.
   */
  public Optional<Recovered> recover(String appId, Sandbox sandbox, Lease lease) {
    Optional<LeaseIntent> left = leases.intent(appId);
    if (left.isEmpty() || !left.get().abandonedBefore(lease)) {
      return Optional.empty();
    }
    Optional<Intents.Intent> intent = Intents.parse(left.get().text());
    if (intent.isPresent() && intent.get().isRun() && intent.get().ended()) {
      // The usual case after every run: it ended and freed the app while its events were stored.
      Recovered settled = settleEndedRun(appId, intent.get());
      // Not cleared here: the caller's own intent (a run's) replaces it, or its operation's end
      // clears it with the release (LeaseStore.clearIntentAndRelease): one commit less for every
      // operation after a run. Left behind (the operation failed), the next holder settles it
      // again, which finds the run's events stored and only reads them.
      LOG.debug("app {}: {}", appId, settled.detail());
      return Optional.of(settled);
    }
    // A write killed with the dead holder's process may have left a temporary file behind.
    sandbox.removeAbandonedWrites();
    Recovered done;
    if (intent.isPresent() && intent.get().isRun()) {
      done = recoverRun(appId, sandbox, lease, intent.get());
    } else if (intent.isPresent() && intent.get().isHistory()) {
      History.Interrupted result = history.finishInterrupted(appId, sandbox, intent.get().fromHead());
      done = new Recovered("history", intent.get().op() + " " + result.name().toLowerCase(java.util.Locale.ROOT));
    } else {
      LOG.warn("app {}: ignoring an intent this version does not know: {}", appId, left.get().text());
      done = new Recovered("unknown", left.get().text());
    }
    leases.clearIntent(lease);
    LOG.info("app {}: recovered what holder token {} left: {} {}", appId, left.get().token(), done.kind(), done.detail());
    return Optional.of(done);
  }

  /**
   * Records, before a run touches the workspace, that it is running: if this host dies, the next
   * holder ends the run ({@link #recover}).
   */
  public void recordRun(Lease lease, String runId, String label) {
    leases.recordIntent(lease, Intents.run(runId, label));
  }

  /**
   * Records, while the run still holds the lease, that it has ended with {@code terminal}: its
   * events are still being stored, so the intent stays after the release, and the next holder
   * checks that the log got the terminal event (and writes it itself if this host died first).
   */
  public void recordRunEnd(Lease lease, String runId, String label, Event terminal) {
    leases.recordIntent(lease, Intents.runEnded(runId, label, terminal));
  }

  /** How long the next holder waits for a live host's writer to store a run's terminal event. */
  private static final java.time.Duration SETTLE_WAIT = java.time.Duration.ofSeconds(5);

  /**
   * A run that had ended when its host released the app: normally the log has (or is about to
   * get) its terminal event; if it does not within {@link #SETTLE_WAIT}, the host died before its
   * writer stored it: the terminal event it recorded is written when it is the log's next event,
   * else (events before it were lost with the host) a {@code run_failed host_lost} ends the log.
   */
  private Recovered settleEndedRun(String appId, Intents.Intent intent) {
    String runId = intent.runId();
    long deadline = System.nanoTime() + SETTLE_WAIT.toNanos();
    while (eventLog.read(appId, runId, intent.terminalSeq() - 1).isEmpty()) {
      if (System.nanoTime() > deadline) {
        List<Event> logged = eventLog.read(appId, runId, 0);
        long last = logged.isEmpty() ? 0 : logged.get(logged.size() - 1).seq();
        if (last == intent.terminalSeq() - 1 && !intent.terminal().isEmpty()) {
          eventLog.append(JSON.eventFromJson(intent.terminal()));
          return new Recovered("run", runId + " had ended; its terminal event was written for its dead host");
        }
        Event failed = new Event.RunFailed(appId, runId, last + 1, now(),
            "the host running this run stopped before it stored the run's last events", ErrorCode.HOST_LOST.wireName());
        eventLog.append(failed);
        notifyListeners(failed);
        return new Recovered("run", runId + " had ended; its host died before storing events " + (last + 1) + "-"
            + intent.terminalSeq() + ", ended as failed");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    return new Recovered("run", runId + " had ended (settled)");
  }

  private void notifyListeners(Event e) {
    for (EventListener l : listeners) {
      try {
        l.onEvent(e);
      } catch (RuntimeException ex) {
        LOG.warn("event listener failed on {} of run {}: {}", e.type(), e.runId(), ex.toString());
      }
    }
  }

  private Recovered recoverRun(String appId, Sandbox sandbox, Lease lease, Intents.Intent intent) {
    String runId = intent.runId();
    List<Event> logged = eventLog.read(appId, runId, 0);
    boolean ended = !logged.isEmpty() && logged.get(logged.size() - 1).terminal();
    // The workspace holds what the dead run wrote: it is that run's work, not an outside edit.
    Optional<History.Recorded> recorded = history.capture(appId, sandbox, CheckpointType.AGENT_RUN,
        intent.label().isBlank() ? "Run " + runId : intent.label(), Optional.of(runId), Optional.of(RunOutcome.FAILED),
        Map.of(), lease);
    answerOpenToolCalls(appId, runId);
    if (!ended) {
      long seq = logged.isEmpty() ? 0 : logged.get(logged.size() - 1).seq();
      List<Event> closing = new ArrayList<>();
      if (recorded.isPresent()) {
        closing.add(new Event.CheckpointCreated(appId, runId, ++seq, now(), recorded.get().checkpoint()));
      }
      closing.add(new Event.RunFailed(appId, runId, ++seq, now(),
          "the host running this run stopped before it ended (its lease on the app lapsed); "
              + (recorded.isPresent() ? "the files it had written were recorded as checkpoint " + recorded.get().checkpoint().id()
                  : "it had changed no files"),
          ErrorCode.HOST_LOST.wireName()));
      for (Event e : closing) {
        eventLog.append(e);
        notifyListeners(e);
      }
    }
    return new Recovered("run", runId + (ended ? " (its log had ended)" : " ended as failed")
        + recorded.map(r -> ", files recorded as " + r.checkpoint().id()).orElse(""));
  }

  /**
   * The dead run's last model turn gets a result for every tool call it left unanswered. Recovery
   * runs before anything else is appended, so that turn is the conversation's last assistant message;
   * its results are the messages right after it (call ids alone are not unique across turns).
   */
  private void answerOpenToolCalls(String appId, String runId) {
    List<ChatMessage> messages = conversations.load(appId);
    int last = messages.size() - 1;
    while (last >= 0 && !(messages.get(last) instanceof ChatMessage.Assistant)) {
      last--;
    }
    if (last < 0) {
      return;
    }
    Set<String> answered = new HashSet<>();
    for (int i = last + 1; i < messages.size() && messages.get(i) instanceof ChatMessage.ToolResult r; i++) {
      answered.add(r.callId());
    }
    List<ChatMessage> results = new ArrayList<>();
    for (ToolCall call : ((ChatMessage.Assistant) messages.get(last)).toolCalls()) {
      if (!answered.contains(call.id())) {
        results.add(new ChatMessage.ToolResult(call.id(), call.name(),
            "Error: not finished: the host running this run stopped; check the files before relying on this call.", true));
      }
    }
    if (!results.isEmpty()) {
      conversations.append(appId, runId, results);
    }
  }

  private java.time.Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
