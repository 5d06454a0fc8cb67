package io.chatbuilder.core.event;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** An {@link AppEventLog} in memory; lost when the JVM exits. */
public final class InMemoryAppEventLog implements AppEventLog {
  private final Map<String, List<AppEvent>> apps = new ConcurrentHashMap<>();

  @Override
  public AppEvent append(AppEvent event) {
    Objects.requireNonNull(event, "event == null");
    List<AppEvent> events = apps.computeIfAbsent(event.appId(), k -> new ArrayList<>());
    synchronized (events) {
      AppEvent numbered = event.withSeq(events.size() + 1L);
      events.add(numbered);
      return numbered;
    }
  }

  @Override
  public List<AppEvent> read(String appId, long afterSeq, int limit) {
    Objects.requireNonNull(appId, "appId == null");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1");
    }
    List<AppEvent> events = apps.get(appId);
    if (events == null) {
      return List.of();
    }
    synchronized (events) {
      int from = (int) Math.max(0, Math.min(afterSeq, events.size()));
      int to = (int) Math.min(events.size(), (long) from + limit);
      return List.copyOf(events.subList(from, to));
    }
  }

  @Override
  public long lastSeq(String appId) {
    List<AppEvent> events = apps.get(Objects.requireNonNull(appId, "appId == null"));
    if (events == null) {
      return 0;
    }
    synchronized (events) {
      return events.size();
    }
  }
}
