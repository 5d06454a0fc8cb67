package io.chatbuilder.bench;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * B12: event persistence off the model stream's path. One chat run whose model streams N text
 * deltas, with an event log that sleeps 50 ms in every {@code append}/{@code appendAll} call (a slow
 * or distant database), against the same run with the in-memory log. Timed: {@code chat} to the
 * run's completion. The two sides alternate run by run. The time until the slow log holds every
 * event, and its number of calls, are reported in {@code extra}; the next run starts only once the
 * previous one is all stored.
 */
final class EventLogBench {
  private static final long LATENCY_MS = 50;

  private final BenchConfig config;

  EventLogBench(BenchConfig config) {
    this.config = config;
  }

  /** An in-memory log that sleeps {@link #LATENCY_MS} per call. */
  private static final class SlowLog implements EventLog {
    final InMemoryEventLog inner = new InMemoryEventLog();
    final AtomicLong calls = new AtomicLong();

    @Override
    public void append(Event event) {
      appendAll(List.of(event));
    }

    @Override
    public void appendAll(List<Event> events) {
      calls.incrementAndGet();
      try {
        Thread.sleep(LATENCY_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      inner.appendAll(events);
    }

    @Override
    public List<Event> read(String appId, String runId, long afterSeq) {
      return inner.read(appId, runId, afterSeq);
    }

    @Override
    public List<String> runIds(String appId, int limit) {
      return inner.runIds(appId, limit);
    }
  }

  List<Result> run() {
    int deltas = config.eventDeltas();
    ScriptedModel.TurnBuilder turn = ScriptedModel.Turn.builder();
    for (int i = 0; i < deltas; i++) {
      turn.text("t" + i + " ");
    }
    ScriptedModel.Turn script = turn.build();
    // Runs of a millisecond or two: many repetitions, the two sides alternating run by run so load
    // from other processes hits both alike; both facades are warmed first.
    int warmups = config.smoke() ? 0 : 20;
    int repetitions = config.smoke() ? 1 : 51;
    InMemoryEventLog memoryLog = new InMemoryEventLog();
    SlowLog slowLog = new SlowLog();
    long storedAfterMs = 0;
    long callsLastRun = 0;
    List<Long> memorySamples = new ArrayList<>();
    List<Long> slowSamples = new ArrayList<>();
    try (ChatBuilder memoryFacade = facade(script, memoryLog); ChatBuilder slowFacade = facade(script, slowLog)) {
      RunHandle last = null;
      long callsBefore = 0;
      for (int i = 0; i < warmups + repetitions; i++) {
        long start = System.nanoTime();
        check(runOnce(memoryFacade, "memory-" + i), deltas);
        long memoryNanos = System.nanoTime() - start;
        callsBefore = slowLog.calls.get();
        start = System.nanoTime();
        last = runOnce(slowFacade, "slow-" + i);
        long slowNanos = System.nanoTime() - start;
        check(last, deltas);
        // Untimed: each run starts with an idle writer.
        long waited = awaitStored(slowLog, "slow-" + i, last.runId());
        if (i >= warmups) {
          memorySamples.add(memoryNanos);
          slowSamples.add(slowNanos);
        }
        storedAfterMs = waited; // of the last run: from its completion until the log holds all of it
      }
      callsLastRun = slowLog.calls.get() - callsBefore;
      CheckpointBench.check(slowLog.read("slow-" + (warmups + repetitions - 1), last.runId(), 0).equals(last.events()),
          "B12: the slow log's replay differs from the live events");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
    Stats memory = Stats.ofNanos(memorySamples);
    Stats slow = Stats.ofNanos(slowSamples);
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("text_deltas", deltas);
    sizes.put("log_latency_ms_per_call", LATENCY_MS);
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("slow_log_stored_all_ms_after_completion", storedAfterMs);
    extra.put("slow_log_calls_last_run", callsLastRun);
    Result r = Result.timed("B12", "B12 " + deltas + " text deltas, 50 ms event log", Optional.of("memory"),
        "chat run of " + deltas + " text deltas, event log sleeping 50 ms per append/appendAll call", slow,
        "the same run with InMemoryEventLog", memory, 1 / 1.1, "ratio >= 0.91 (ours <= 1.1x)", sizes, extra);
    return List.of(r);
  }

  private static ChatBuilder facade(ScriptedModel.Turn script, EventLog log) {
    return ChatBuilder.builder().model(ScriptedModel.responding(request -> Optional.of(script)))
        .sandboxes(id -> InMemorySandbox.builder(id).build()).eventLog(log).build();
  }

  private static RunHandle runOnce(ChatBuilder builder, String app) throws Exception {
    RunHandle handle = builder.chat(app, "stream");
    RunResult result = handle.completion().get(5, TimeUnit.MINUTES);
    CheckpointBench.check(result.outcome() == RunOutcome.COMPLETED, "B12: the run ended " + result.outcome()
        + " " + result.error().orElse(""));
    return handle;
  }

  private static void check(RunHandle handle, int deltas) {
    long count = handle.events().stream().filter(e -> e instanceof Event.AssistantDelta).count();
    CheckpointBench.check(count == deltas, "B12: the run emitted " + count + " deltas, expected " + deltas);
  }

  /** Waits until the log holds every event of the run; returns the wait in ms. */
  private static long awaitStored(SlowLog log, String app, String runId) throws InterruptedException {
    long start = System.nanoTime();
    while (true) {
      List<Event> stored = log.read(app, runId, 0);
      if (!stored.isEmpty() && stored.get(stored.size() - 1).terminal()) {
        return (System.nanoTime() - start) / 1_000_000;
      }
      CheckpointBench.check(System.nanoTime() - start < TimeUnit.MINUTES.toNanos(5), "B12: events not stored");
      Thread.sleep(5);
    }
  }
}
