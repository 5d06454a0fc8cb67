package io.chatbuilder.core.event;

import java.util.List;

/**
 * Keeps every app's app stream ({@link AppEvent}) for replay ({@code Last-Event-ID}). The log
 * numbers events: {@link #append} gives the event the app's next {@code seq} atomically, so hosts
 * sharing a log never get the same seq or leave a gap. In memory here ({@link InMemoryAppEventLog});
 * {@code store-jdbc} persists it. Thread-safe.
 */
public interface AppEventLog {

  /** Appends an event as the app's next one (its own {@code seq} is ignored) and returns it numbered. */
  AppEvent append(AppEvent event);

  /** The app's events with {@code seq > afterSeq}, in order, at most {@code limit}; empty for an unknown app. */
  List<AppEvent> read(String appId, long afterSeq, int limit);

  /** The app's last seq, 0 if it has none. */
  long lastSeq(String appId);
}
