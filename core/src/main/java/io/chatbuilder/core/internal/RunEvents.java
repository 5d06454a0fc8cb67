package io.chatbuilder.core.internal;

import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventListener;
import io.chatbuilder.core.event.EventLog;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbers a run's events, keeps them, writes them to the event log and fans them out to
 * subscribers. Emission and subscription share one lock, so a subscriber that joins mid-run gets the
 * backlog and then live events with no gap and no duplicate. Not API.
 */
public final class RunEvents {
  private static final Logger LOG = LoggerFactory.getLogger(RunEvents.class);

  /** Creates an event from its header. */
  @FunctionalInterface
  public interface Factory {
    Event create(String appId, String runId, long seq, Instant at);
  }

  private final String appId;
  private final String runId;
  private final EventLog log;
  private final List<EventListener> globalListeners;
  private final Clock clock;
  private final List<Event> events = new ArrayList<>();
  private final List<EventListener> subscribers = new CopyOnWriteArrayList<>();
  private boolean ended;

  public RunEvents(String appId, String runId, EventLog log, List<EventListener> globalListeners, Clock clock) {
    this.appId = appId;
    this.runId = runId;
    this.log = log;
    this.globalListeners = List.copyOf(globalListeners);
    this.clock = clock;
  }

  public synchronized Event emit(Factory factory) {
    if (ended) {
      throw new IllegalStateException("run " + runId + " already ended");
    }
    Event event = factory.create(appId, runId, events.size() + 1L, clock.instant());
    events.add(event);
    ended = event.terminal();
    try {
      log.append(event);
    } catch (RuntimeException e) {
      // The run goes on: live subscribers still get the event; only replay after a restart misses it.
      LOG.error("event log failed to store {} #{} of run {}: {}", event.type(), event.seq(), runId, e.toString());
    }
    deliver(globalListeners, event, false);
    deliver(subscribers, event, true);
    return event;
  }

  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  public synchronized RunHandle.Subscription subscribe(long afterSeq, EventListener listener) {
    for (Event e : events) {
      if (e.seq() > afterSeq) {
        listener.onEvent(e);
      }
    }
    subscribers.add(listener);
    return () -> subscribers.remove(listener);
  }

  private void deliver(List<EventListener> listeners, Event event, boolean removeOnFailure) {
    for (EventListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("event listener failed on {} of run {}: {}", event.type(), runId, e.toString());
        if (removeOnFailure) {
          subscribers.remove(l);
        }
      }
    }
  }
}
