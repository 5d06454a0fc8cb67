package io.chatbuilder.core.event;

import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/** An {@link EventLog} in memory; lost when the JVM exits. */
public final class InMemoryEventLog implements EventLog {
  private final Map<String, Map<String, List<Event>>> apps = new ConcurrentHashMap<>();
  private final Map<String, Deque<String>> runOrder = new ConcurrentHashMap<>();

  @Override
  public void append(Event event) {
    Objects.requireNonNull(event, "event == null");
    Map<String, List<Event>> runs = apps.computeIfAbsent(event.appId(), k -> new LinkedHashMap<>());
    synchronized (runs) {
      List<Event> events = runs.get(event.runId());
      if (events == null) {
        events = new ArrayList<>();
        runs.put(event.runId(), events);
        runOrder.computeIfAbsent(event.appId(), k -> new ConcurrentLinkedDeque<>()).addFirst(event.runId());
      }
      long expected = events.size() + 1L;
      if (event.seq() >= 1 && event.seq() < expected) {
        Event stored = events.get((int) event.seq() - 1);
        if (stored.equals(event)) {
          return; // a retry of an append that landed
        }
        throw new IllegalArgumentException("event seq " + event.seq() + " of run " + event.runId()
            + " is already stored as a different event");
      }
      if (event.seq() != expected) {
        throw new IllegalArgumentException("event seq " + event.seq() + " of run " + event.runId() + " is not the next one (" + expected + ")");
      }
      events.add(event);
    }
  }

  @Override
  public List<Event> read(String appId, String runId, long afterSeq) {
    Map<String, List<Event>> runs = apps.get(appId);
    if (runs == null) {
      return List.of();
    }
    synchronized (runs) {
      List<Event> events = runs.get(runId);
      if (events == null) {
        return List.of();
      }
      int from = (int) Math.max(0, Math.min(afterSeq, events.size()));
      return List.copyOf(events.subList(from, events.size()));
    }
  }

  @Override
  public List<String> runIds(String appId, int limit) {
    Deque<String> order = runOrder.get(appId);
    if (order == null) {
      return List.of();
    }
    return order.stream().limit(limit).toList();
  }
}
