package io.chatbuilder.core.internal;

import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventListener;
import io.chatbuilder.core.StoreException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbers a run's events, keeps them, fans them out and hands them to the facade's
 * {@link EventWriter}, which stores them off this thread. Not API.
 *
 * <p>Storing never delays delivery: a subscriber sees an event at once, and the log gets the very
 * same object (same seq, same content) a little later, so a replay equals what subscribers saw.
 * When the writer cannot store the run's events it reports it once here ({@link #persistFailure},
 * and the {@code onPersistFailure} callback the facade wires to the run's cancellation); the run
 * then ends failed, and its events, terminal one included, are still stored when the store is
 * back.
 *
 * <p>Events are appended under a lock but delivered outside it, so a slow subscriber never blocks
 * {@link #events()} or other subscribers from joining. Each subscriber delivers in {@code seq}
 * order under its own lock and skips what it already delivered, so one that joins mid-run gets the
 * backlog and then live events with no gap and no duplicate.
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
  private final EventWriter.Channel writer;
  private volatile StoreException persistFailure;
  private final List<EventListener> globalListeners;
  private final Clock clock;
  private final List<Event> events = new ArrayList<>();
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final Object emitLock = new Object();
  private boolean ended;

  /**
   * @param onPersistFailure runs once if the writer cannot store this run's events
   * @param onSettled runs once the writer is done with this run (its terminal event stored, or its
   *     events refused for good)
   */
  public RunEvents(String appId, String runId, EventWriter writer, List<EventListener> globalListeners, Clock clock,
      Runnable onPersistFailure, Runnable onSettled) {
    this.appId = appId;
    this.runId = runId;
    Objects.requireNonNull(onPersistFailure, "onPersistFailure == null");
    this.writer = writer.open(runId, e -> {
      persistFailure = e;
      onPersistFailure.run();
    }, onSettled);
    this.globalListeners = List.copyOf(globalListeners);
    this.clock = clock;
  }

  /**
   * Emits one event. Emitters are serialized (command output may arrive on reader threads), so
   * delivery order always equals {@code seq} order.
   */
  public Event emit(Factory factory) {
    synchronized (emitLock) {
      return emitSerialized(factory);
    }
  }

  private Event emitSerialized(Factory factory) {
    Event event;
    synchronized (this) {
      if (ended) {
        throw new IllegalStateException("run " + runId + " already ended");
      }
      event = factory.create(appId, runId, events.size() + 1L, clock.instant());
      events.add(event);
      ended = event.terminal();
    }
    writer.submit(event);
    for (EventListener l : globalListeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException | LinkageError | StackOverflowError e) {
        LOG.warn("event listener failed on {} of run {}: {}", event.type(), runId, e.toString());
      }
    }
    for (Subscriber s : subscribers) {
      s.deliver(List.of(event));
    }
    return event;
  }

  /**
   * Emits the run's terminal event, running {@code beforeDelivery} with it first (the facade records
   * it with the app's lease and frees the app there): no subscriber sees it before the app is free,
   * and a host that dies from then on leaves an intent naming it, which the next holder checks
   * against the event log (the writer stores the event off this thread, as every other).
   */
  public Event emitTerminal(Factory factory, java.util.function.Consumer<Event> beforeDelivery) {
    synchronized (emitLock) {
      Event event;
      synchronized (this) {
        if (ended) {
          throw new IllegalStateException("run " + runId + " already ended");
        }
        event = factory.create(appId, runId, events.size() + 1L, clock.instant());
        if (!event.terminal()) {
          throw new IllegalArgumentException("not a terminal event: " + event.type());
        }
        // Not in events() yet: a subscriber joining now must not get it from the backlog before
        // the app is free. Other emitters wait on emitLock, so its seq stays the next one.
        ended = true;
      }
      try {
        beforeDelivery.accept(event);
      } finally {
        synchronized (this) {
          events.add(event);
        }
        writer.submit(event);
        for (EventListener l : globalListeners) {
          try {
            l.onEvent(event);
          } catch (RuntimeException | LinkageError | StackOverflowError e) {
            LOG.warn("event listener failed on {} of run {}: {}", event.type(), runId, e.toString());
          }
        }
        for (Subscriber s : subscribers) {
          s.deliver(List.of(event));
        }
      }
      return event;
    }
  }

  /** Why the writer could not store this run's events, if it could not. */
  public Optional<StoreException> persistFailure() {
    return Optional.ofNullable(persistFailure);
  }

  /** Whether every event of this run so far is in the event log. */
  public boolean persisted() {
    long persistedSeq = writer.persistedSeq();
    synchronized (this) {
      return persistedSeq >= events.size();
    }
  }

  public synchronized boolean ended() {
    return ended;
  }

  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  public RunHandle.Subscription subscribe(long afterSeq, EventListener listener) {
    Subscriber subscriber = new Subscriber(listener, afterSeq);
    // The subscriber's lock is taken first, so live deliveries wait until the backlog is out.
    synchronized (subscriber) {
      List<Event> backlog;
      synchronized (this) {
        backlog = List.copyOf(events);
        subscribers.add(subscriber);
      }
      subscriber.deliver(backlog);
    }
    return () -> subscribers.remove(subscriber);
  }

  private final class Subscriber {
    private final EventListener listener;
    private long delivered;

    Subscriber(EventListener listener, long afterSeq) {
      this.listener = listener;
      this.delivered = afterSeq;
    }

    synchronized void deliver(List<Event> batch) {
      for (Event e : batch) {
        if (e.seq() <= delivered) {
          continue;
        }
        delivered = e.seq();
        try {
          listener.onEvent(e);
        } catch (RuntimeException | LinkageError | StackOverflowError ex) {
          LOG.warn("event subscriber failed on {} of run {}, unsubscribing it: {}", e.type(), runId, ex.toString());
          subscribers.remove(this);
          return;
        }
      }
    }
  }
}
