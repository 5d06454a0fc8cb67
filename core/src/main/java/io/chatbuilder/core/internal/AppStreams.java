package io.chatbuilder.core.internal;

import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.AppEventListener;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventListener;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facade's side of the app streams: appends app events to the {@link AppEventLog} (which
 * numbers them) and fans them out to this JVM's subscribers. Not API.
 *
 * <p>A failed append is logged and dropped: the operation that caused the event has happened and
 * must not fail for its notification. Appends on several threads may reach subscribers out of seq
 * order, and another host's appends reach them not at all, so each subscriber tracks the last seq it
 * delivered and, seeing a later one, first reads what it missed from the log: in order, no gap, no
 * duplicate.
 */
public final class AppStreams {
  private static final Logger LOG = LoggerFactory.getLogger(AppStreams.class);
  private static final int PAGE = 500;
  private static final int RECENT_CHECKPOINTS = 64;

  private final AppEventLog log;
  private final Clock clock;
  private final Map<String, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
  private final Map<String, Deque<String>> recentCheckpoints = new ConcurrentHashMap<>();

  public AppStreams(AppEventLog log, Clock clock) {
    this.log = log;
    this.clock = clock;
  }

  public AppEventLog log() {
    return log;
  }

  public Clock clock() {
    return clock;
  }

  /** Appends and delivers an event; empty if the log refused it (logged). */
  public Optional<AppEvent> emit(AppEvent event) {
    AppEvent numbered;
    try {
      numbered = log.append(event);
    } catch (RuntimeException e) {
      LOG.error("app event log failed to store {} of app {}: {}", event.type(), event.appId(), e.toString());
      return Optional.empty();
    }
    for (Subscriber s : subscribers.getOrDefault(numbered.appId(), List.of())) {
      s.offer(numbered);
    }
    return Optional.of(numbered);
  }

  /** Emits {@code checkpoint_created} once per checkpoint (recovery and head scans may both see one). */
  public void checkpoint(Checkpoint checkpoint) {
    Deque<String> recent = recentCheckpoints.computeIfAbsent(checkpoint.appId(), k -> new ArrayDeque<>());
    synchronized (recent) {
      if (recent.contains(checkpoint.id())) {
        return;
      }
      recent.addLast(checkpoint.id());
      while (recent.size() > RECENT_CHECKPOINTS) {
        recent.removeFirst();
      }
    }
    emit(new AppEvent.CheckpointCreated(checkpoint.appId(), 0, clock.instant(), checkpoint));
  }

  /** Checkpoints newer than {@code sinceId} (all if empty), oldest first, emitted: read under the app's lease. */
  public void checkpointsSince(List<Checkpoint> newestFirst, Optional<String> sinceId) {
    Deque<Checkpoint> newer = new ArrayDeque<>();
    for (Checkpoint c : newestFirst) {
      if (sinceId.isPresent() && c.id().equals(sinceId.get())) {
        break;
      }
      newer.addFirst(c);
    }
    newer.forEach(this::checkpoint);
  }

  public List<AppEvent> read(String appId, long afterSeq, int limit) {
    return log.read(appId, afterSeq, limit);
  }

  /** Maps a run's start, checkpoints and end to the app stream; registered for every run. */
  public EventListener runListener() {
    return event -> {
      if (event instanceof Event.RunStarted e) {
        emit(new AppEvent.RunStarted(e.appId(), 0, e.at(), e.runId(), e.message()));
      } else if (event instanceof Event.CheckpointCreated e) {
        checkpoint(e.checkpoint());
      } else if (event instanceof Event.RunCompleted e) {
        emit(new AppEvent.RunEnded(e.appId(), 0, e.at(), e.runId(), RunOutcome.COMPLETED, Optional.empty(), Optional.empty()));
      } else if (event instanceof Event.RunFailed e) {
        emit(new AppEvent.RunEnded(e.appId(), 0, e.at(), e.runId(), RunOutcome.FAILED, Optional.of(e.error()),
            Optional.of(e.errorCode())));
      } else if (event instanceof Event.RunCancelled e) {
        emit(new AppEvent.RunEnded(e.appId(), 0, e.at(), e.runId(), RunOutcome.CANCELLED,
            e.reason().isEmpty() ? Optional.empty() : Optional.of(e.reason()), Optional.empty()));
      }
    };
  }

  /** The backlog after {@code afterSeq}, then live events; closing stops delivery. */
  public RunHandle.Subscription subscribe(String appId, long afterSeq, AppEventListener listener) {
    List<Subscriber> list = subscribers.computeIfAbsent(appId, k -> new CopyOnWriteArrayList<>());
    Subscriber s = new Subscriber(appId, listener, afterSeq, list);
    // Registered first, its lock held while the backlog goes out: a live event meanwhile waits, and
    // whatever was appended before it registered is in the log.
    synchronized (s) {
      list.add(s);
      s.catchUp(Long.MAX_VALUE);
    }
    return () -> list.remove(s);
  }

  private final class Subscriber {
    private final String appId;
    private final AppEventListener listener;
    private final List<Subscriber> list;
    private long delivered;

    Subscriber(String appId, AppEventListener listener, long afterSeq, List<Subscriber> list) {
      this.appId = appId;
      this.listener = listener;
      this.delivered = Math.max(0, afterSeq);
      this.list = list;
    }

    synchronized void offer(AppEvent event) {
      if (event.seq() <= delivered) {
        return;
      }
      if (event.seq() > delivered + 1) {
        catchUp(event.seq());
        if (event.seq() <= delivered) {
          return;
        }
      }
      deliver(event);
    }

    /** Reads from the log what follows {@code delivered}, up to {@code upTo}. */
    void catchUp(long upTo) {
      while (delivered < upTo && list.contains(this)) {
        List<AppEvent> page;
        try {
          page = log.read(appId, delivered, PAGE);
        } catch (RuntimeException e) {
          LOG.error("app event log failed to read app {} after {}: {}", appId, delivered, e.toString());
          return;
        }
        for (AppEvent e : page) {
          if (e.seq() > upTo) {
            return;
          }
          if (e.seq() > delivered && !deliver(e)) {
            return;
          }
        }
        if (page.size() < PAGE) {
          return;
        }
      }
    }

    private boolean deliver(AppEvent e) {
      delivered = e.seq();
      try {
        listener.onEvent(e);
        return true;
      } catch (RuntimeException | LinkageError | StackOverflowError ex) {
        LOG.warn("app event subscriber failed on {} of app {}, unsubscribing it: {}", e.type(), appId, ex.toString());
        list.remove(this);
        return false;
      }
    }
  }
}
