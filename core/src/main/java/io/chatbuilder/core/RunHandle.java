package io.chatbuilder.core;

import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventListener;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A running (or finished) agent run: its events, its outcome, and a way to cancel it. */
public interface RunHandle {
  String appId();

  String runId();

  /**
   * Stops the run: closes the model stream, kills a running command, records a checkpoint if files
   * changed and ends with {@code run_cancelled}. Idempotent; no effect once the run ended.
   */
  void cancel();

  /** Completes when the run ended (never exceptionally: failures are a {@link RunResult} too). */
  CompletableFuture<RunResult> completion();

  /** The events emitted so far, in {@code seq} order. */
  List<Event> events();

  /**
   * Delivers every event with {@code seq > afterSeq}: first those already emitted, then live ones as
   * they come, with no gap and no duplicate (what an SSE endpoint needs for {@code Last-Event-ID}).
   * Listeners run on the run's thread; keep them quick (hand off to a queue).
   */
  Subscription subscribe(long afterSeq, EventListener listener);

  /** A live event subscription; closing it stops delivery. */
  @FunctionalInterface
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }
}
