package io.chatbuilder.core.internal;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists the events of every run of one facade off the emitting threads: one daemon thread drains
 * a queue in order, groups what it took by run and hands each group to {@link EventLog#appendAll},
 * so a slow store costs one round trip per batch, not one per event, and never delays delivery.
 * Not API.
 *
 * <p>One writer per facade, not per run: one thread and one bound for the whole host (a run of
 * 2,000 deltas and a hundred idle runs cost the same thread), batches can span runs, and
 * {@link #close} has one place to flush. Within a run events reach the log in {@code seq} order
 * and a run's events are never reordered with each other.
 *
 * <p>A failed group is retried with the {@link RetryPolicy}'s backoff; appends are idempotent, so a
 * retry after a lost acknowledgement is safe. When the policy's attempts are spent, or more than
 * {@code capacity} events wait, each run with waiting events is told once through its failure
 * callback (the facade fails the run with {@link ErrorCode#STORE_ERROR}); its events are still kept
 * and retried at {@code maxBackoff} intervals until the store takes them, so the terminal event is
 * written once the store is back. Errors the store reports as permanent (a different event at a
 * seq, a gap: {@link IllegalArgumentException} or a {@link ChatBuilderException} other than
 * {@code STORE_ERROR}) drop that run's waiting events, after its failure callback. {@link #close}
 * waits a bounded time for the queue to drain; what is still unwritten then is logged and lost.
 */
public final class EventWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventWriter.class);

  private final EventLog log;
  private final RetryPolicy policy;
  private final int capacity;
  private final int maxBatch;
  private final SplittableRandom random = new SplittableRandom();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  /** Events submitted and not yet persisted (or dropped), queued or in the writer's hands. */
  private int unpersisted;
  private boolean closing;
  /** The drainer waits for events (so a submit must wake it). */
  private boolean drainerWaiting;
  /** The draining thread, started on demand and ended after a while idle (none for an idle facade). */
  private Thread thread;

  public EventWriter(EventLog log, RetryPolicy policy, int capacity, int maxBatch) {
    this.log = Objects.requireNonNull(log, "log == null");
    this.policy = Objects.requireNonNull(policy, "policy == null");
    if (capacity < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("capacity and maxBatch must be >= 1");
    }
    this.capacity = capacity;
    this.maxBatch = maxBatch;
  }

  private static final long IDLE_NANOS = Duration.ofSeconds(5).toNanos();

  /**
   * A run's channel into the writer. {@code onFailure} runs once if its events cannot be stored
   * now; {@code onSettled} once the writer is done with the run: its terminal event stored, or its
   * events refused for good.
   */
  public Channel open(String runId, Consumer<StoreException> onFailure, Runnable onSettled) {
    return new Channel(runId, onFailure, onSettled);
  }

  /** One run's way into the writer; its events must be submitted in {@code seq} order. */
  public final class Channel {
    private final String runId;
    private final Consumer<StoreException> onFailure;
    private final Runnable onTerminalPersisted;
    // guarded by EventWriter.this
    private long persistedSeq;
    private boolean failed;
    private boolean dropped;

    private Channel(String runId, Consumer<StoreException> onFailure, Runnable onTerminalPersisted) {
      this.runId = runId;
      this.onFailure = Objects.requireNonNull(onFailure, "onFailure == null");
      this.onTerminalPersisted = Objects.requireNonNull(onTerminalPersisted, "onTerminalPersisted == null");
    }

    /** Queues an event; never blocks. */
    public void submit(Event event) {
      boolean full;
      synchronized (EventWriter.this) {
        if (dropped) {
          return;
        }
        queue.addLast(new Pending(this, event));
        unpersisted++;
        full = unpersisted > capacity;
        if (thread == null && !closing) {
          thread = new Thread(EventWriter.this::drain, "chatbuilder-event-writer");
          thread.setDaemon(true);
          thread.start();
        } else if (drainerWaiting) {
          // Only a waiting drainer needs waking: a busy one takes this event with its next batch,
          // so a fast stream does not pay a wake-up per event.
          EventWriter.this.notifyAll();
        }
      }
      if (full) {
        fail(new StoreException("the event store is not keeping up: more than " + capacity
            + " events wait to be stored", null));
      }
    }

    /** The highest seq of this run known to be in the log. */
    public long persistedSeq() {
      synchronized (EventWriter.this) {
        return persistedSeq;
      }
    }

    private void fail(StoreException e) {
      synchronized (EventWriter.this) {
        if (failed) {
          return;
        }
        failed = true;
      }
      try {
        onFailure.accept(e);
      } catch (RuntimeException ex) {
        LOG.warn("failure callback of run {} threw: {}", runId, ex.toString());
      }
    }
  }

  private record Pending(Channel channel, Event event) {}

  /**
   * Waits until every event submitted so far is persisted (or dropped), at most {@code timeout}.
   * Returns whether it was.
   */
  public boolean flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (unpersisted > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /** Events submitted and not yet persisted. */
  public synchronized int unpersisted() {
    return unpersisted;
  }

  /** Flushes for at most {@code timeout}, then stops the writer; unwritten events are logged as lost. */
  public void close(Duration timeout) {
    boolean done = flush(timeout);
    int lost;
    Thread running;
    synchronized (this) {
      closing = true;
      lost = unpersisted;
      running = thread;
      notifyAll();
    }
    if (running != null) {
      running.interrupt();
      try {
        running.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!done && lost > 0) {
      LOG.error("closing with {} events not stored: the event store did not take them within {}", lost, timeout);
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  private void drain() {
    try {
      while (true) {
        List<Pending> batch = take();
        if (batch == null) {
          return;
        }
        Map<Channel, List<Event>> byRun = new LinkedHashMap<>();
        for (Pending p : batch) {
          byRun.computeIfAbsent(p.channel(), k -> new ArrayList<>()).add(p.event());
        }
        for (Map.Entry<Channel, List<Event>> group : byRun.entrySet()) {
          if (!persist(group.getKey(), group.getValue())) {
            return;
          }
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.error("event writer stopped unexpectedly", e);
      synchronized (this) {
        thread = null;
      }
    }
  }

  /** The next batch; null when the thread should end (closing, or idle: submit starts a new one). */
  private synchronized List<Pending> take() {
    long idleSince = System.nanoTime();
    while (queue.isEmpty()) {
      long left = IDLE_NANOS - (System.nanoTime() - idleSince);
      if (closing || left <= 0) {
        thread = null;
        return null;
      }
      drainerWaiting = true;
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        // close() interrupts; the loop checks closing
      } finally {
        drainerWaiting = false;
      }
    }
    List<Pending> batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
    while (!queue.isEmpty() && batch.size() < maxBatch) {
      batch.add(queue.pollFirst());
    }
    return batch;
  }

  /** Persists one run's group, retrying transient failures; false once the writer is closing. */
  private boolean persist(Channel channel, List<Event> events) {
    synchronized (this) {
      if (channel.dropped) {
        done(events.size());
        return true;
      }
    }
    for (int attempt = 1; ; attempt++) {
      try {
        if (events.size() == 1) {
          log.append(events.get(0));
        } else {
          log.appendAll(events);
        }
        Event last = events.get(events.size() - 1);
        synchronized (this) {
          channel.persistedSeq = Math.max(channel.persistedSeq, last.seq());
        }
        if (last.terminal()) {
          runQuietly(channel.onTerminalPersisted);
        }
        synchronized (this) {
          done(events.size()); // after the callback, so a flush that returns sees the run settled
        }
        return true;
      } catch (RuntimeException e) {
        if (permanent(e)) {
          LOG.error("event store refused events {}..{} of run {}; dropping its unstored events: {}",
              events.get(0).seq(), events.get(events.size() - 1).seq(), channel.runId, e.toString());
          channel.fail(new StoreException("the event store refused events of run " + channel.runId + ": "
              + e.getMessage(), e));
          runQuietly(channel.onTerminalPersisted);
          drop(channel, events.size());
          return true;
        }
        if (!policy.allowsAnotherAfter(attempt)) {
          failWaitingRuns(channel, e);
        }
        LOG.debug("storing {} events of run {} failed (attempt {}), retrying: {}", events.size(), channel.runId,
            attempt, e.toString());
        if (!sleep(attempt)) {
          return false;
        }
      }
    }
  }

  /** Tells the run in hand and every run with queued events that their events cannot be stored now. */
  private void failWaitingRuns(Channel current, RuntimeException cause) {
    List<Channel> channels = new ArrayList<>();
    channels.add(current);
    synchronized (this) {
      for (Pending p : queue) {
        if (!channels.contains(p.channel())) {
          channels.add(p.channel());
        }
      }
    }
    String why = cause instanceof ChatBuilderException ? cause.getMessage() : cause.toString();
    for (Channel c : channels) {
      c.fail(new StoreException("the event store failed " + policy.maxAttempts() + " times in a row (" + why
          + "); the run's events are kept and written when the store is back", cause));
    }
  }

  /** Backs off; once the attempts are spent, keeps retrying at maxBackoff. False if closing. */
  private boolean sleep(int failedAttempt) {
    long nanos = policy.backoff(Math.min(failedAttempt, 62), random).toNanos();
    long deadline = System.nanoTime() + nanos;
    synchronized (this) {
      while (!closing) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          // close() interrupts; the loop checks closing
        }
      }
      return false;
    }
  }

  private void drop(Channel channel, int inHand) {
    synchronized (this) {
      channel.dropped = true;
      int removed = 0;
      for (var it = queue.iterator(); it.hasNext(); ) {
        if (it.next().channel() == channel) {
          it.remove();
          removed++;
        }
      }
      done(inHand + removed);
    }
  }

  /** Caller holds the lock. */
  private void done(int count) {
    unpersisted -= count;
    notifyAll();
  }

  static boolean permanent(RuntimeException e) {
    if (e instanceof ChatBuilderException c) {
      return c.code() != ErrorCode.STORE_ERROR;
    }
    return e instanceof IllegalArgumentException || e instanceof NullPointerException;
  }

  private static void runQuietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("event writer callback threw: {}", e.toString());
    }
  }
}
