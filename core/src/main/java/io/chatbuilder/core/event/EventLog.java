package io.chatbuilder.core.event;

import java.util.List;

/**
 * Keeps every run's events so a UI that reconnects (SSE {@code Last-Event-ID}) or reloads can
 * replay them. In memory here; {@code store-jdbc} persists them. Thread-safe.
 */
public interface EventLog {

  /**
   * Appends an event; its {@code seq} is one more than the run's last. Idempotent, so a retry after
   * a lost acknowledgement is safe: an event already stored at its (app, run, seq), equal to this
   * one, is accepted and changes nothing; a different event at that seq, or a gap, is an error
   * ({@link io.chatbuilder.core.InvalidArgumentException}).
   */
  void append(Event event);

  /**
   * Appends events in order, with the rules of {@link #append}. Stores that can should do it in one
   * transaction (the event writer batches through it); this default appends one by one, so a
   * failure may leave a prefix stored, which a retry of the whole list accepts.
   */
  default void appendAll(List<Event> events) {
    java.util.Objects.requireNonNull(events, "events == null");
    for (Event event : events) {
      append(event);
    }
  }

  /** The events of a run with {@code seq > afterSeq}, in order; empty for an unknown run. */
  List<Event> read(String appId, String runId, long afterSeq);

  /** Ids of an app's runs, newest first, at most {@code limit}. */
  List<String> runIds(String appId, int limit);
}
