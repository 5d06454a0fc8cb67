package io.chatbuilder.core.event;

import java.util.List;

/**
 * Keeps every run's events so a UI that reconnects (SSE {@code Last-Event-ID}) or reloads can
 * replay them. In memory here; {@code store-jdbc} persists them. Thread-safe.
 */
public interface EventLog {

  /** Appends an event; its {@code seq} is one more than the run's last. */
  void append(Event event);

  /** The events of a run with {@code seq > afterSeq}, in order; empty for an unknown run. */
  List<Event> read(String appId, String runId, long afterSeq);

  /** Ids of an app's runs, newest first, at most {@code limit}. */
  List<String> runIds(String appId, int limit);
}
