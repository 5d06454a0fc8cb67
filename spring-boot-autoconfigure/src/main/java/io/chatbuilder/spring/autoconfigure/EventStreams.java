package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.AppEventListener;
import io.chatbuilder.core.event.Event;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Run events as Server-Sent Events: {@code id:} is the event's {@code seq}, {@code event:} its
 * type, {@code data:} its JSON. A client that reconnects with {@code Last-Event-ID} gets every
 * later event once.
 *
 * <p>The run's listener only offers to a bounded per-client queue; a writer thread of its own
 * sends. A client that falls more than the queue's capacity behind is disconnected after the events
 * it has (a gapless prefix), so it resumes from the log with {@code Last-Event-ID} and never makes
 * the run wait.
 */
final class EventStreams implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

  private final long heartbeatMillis;
  private final long timeoutMillis;
  private final int capacity;
  private final ApiJson json = new ApiJson();
  private final ExecutorService writers;

  EventStreams(Duration heartbeat, Duration timeout, int capacity) {
    this.heartbeatMillis = heartbeat.toMillis();
    this.timeoutMillis = timeout.toMillis();
    this.capacity = capacity;
    AtomicInteger n = new AtomicInteger();
    this.writers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "chatbuilder-sse-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The events of a run in progress with {@code seq > after}, then its live ones until it ends. */
  SseEmitter live(RunHandle run, long after) {
    SseEmitter emitter = new SseEmitter(timeoutMillis);
    AtomicBoolean closed = closedFlag(emitter);
    writers.execute(() -> {
      RunHandle.Subscription subscription = null;
      try {
        open(emitter, run.runId());
        long written = after;
        // What was emitted before this client came is sent from here, not through the queue, so a
        // late reconnect to a long run is not mistaken for a slow client.
        for (Event e : run.events()) {
          if (e.seq() > written) {
            send(emitter, e);
            written = e.seq();
          }
        }
        BlockingQueue<Event> queue = new ArrayBlockingQueue<>(capacity);
        AtomicBoolean overflow = new AtomicBoolean();
        subscription = run.subscribe(written, e -> {
          // Once one event did not fit, none after it is queued: what is queued stays gapless.
          if (overflow.get() || !queue.offer(e)) {
            overflow.set(true);
          }
        });
        long lastWrite = System.nanoTime();
        while (!closed.get()) {
          Event e = queue.poll(Math.min(250, heartbeatMillis), TimeUnit.MILLISECONDS);
          if (e != null) {
            if (e.seq() <= written) {
              continue;
            }
            send(emitter, e);
            written = e.seq();
            lastWrite = System.nanoTime();
            if (e.terminal()) {
              break;
            }
            continue;
          }
          if (overflow.get()) {
            LOG.info("event stream of run {} fell {} events behind; closing it after seq {} (the client resumes "
                + "with Last-Event-ID)", run.runId(), capacity, written);
            break;
          }
          if (run.completion().isDone() && queue.isEmpty()) {
            break; // the terminal event was delivered before completion: nothing more comes
          }
          if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastWrite) >= heartbeatMillis) {
            emitter.send(SseEmitter.event().comment("heartbeat"));
            lastWrite = System.nanoTime();
          }
        }
        emitter.complete();
      } catch (IOException | IllegalStateException e) {
        LOG.debug("event stream of run {} ended: {}", run.runId(), e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        emitter.complete();
      } finally {
        if (subscription != null) {
          subscription.close();
        }
      }
    });
    return emitter;
  }

  /** The stored events of a finished run with {@code seq > after}. */
  SseEmitter replay(String runId, List<Event> events, long after) {
    SseEmitter emitter = new SseEmitter(timeoutMillis);
    writers.execute(() -> {
      try {
        open(emitter, runId);
        for (Event e : events) {
          if (e.seq() > after) {
            send(emitter, e);
          }
        }
        emitter.complete();
      } catch (IOException | IllegalStateException e) {
        LOG.debug("replay of run {} ended: {}", runId, e.toString());
      }
    });
    return emitter;
  }

  /** Where an app stream comes from: its log, and live delivery. */
  interface AppSource {
    List<AppEvent> read(long after);

    RunHandle.Subscription subscribe(long after, AppEventListener listener);
  }

  /**
   * The app stream with {@code seq > after}, then live until the client leaves. Same rules as a
   * run's stream: the backlog is read from the log here, live events pass a bounded queue, a client
   * that falls behind is closed after a gapless prefix. At every heartbeat the log is read too, so
   * events other hosts appended arrive within a heartbeat.
   */
  SseEmitter app(String appId, long after, AppSource source) {
    SseEmitter emitter = new SseEmitter(timeoutMillis);
    AtomicBoolean closed = closedFlag(emitter);
    writers.execute(() -> {
      RunHandle.Subscription subscription = null;
      try {
        emitter.send(SseEmitter.event().reconnectTime(2000).comment("app " + appId));
        long written = sendFromLog(emitter, source, after);
        BlockingQueue<AppEvent> queue = new ArrayBlockingQueue<>(capacity);
        AtomicBoolean overflow = new AtomicBoolean();
        subscription = source.subscribe(written, e -> {
          if (overflow.get() || !queue.offer(e)) {
            overflow.set(true);
          }
        });
        long lastWrite = System.nanoTime();
        while (!closed.get()) {
          AppEvent e = queue.poll(Math.min(250, heartbeatMillis), TimeUnit.MILLISECONDS);
          if (e != null) {
            if (e.seq() > written) {
              if (e.seq() > written + 1) {
                written = sendFromLog(emitter, source, written);
              }
              if (e.seq() > written) {
                send(emitter, e);
                written = e.seq();
              }
              lastWrite = System.nanoTime();
            }
            continue;
          }
          if (overflow.get()) {
            LOG.info("app stream of {} fell {} events behind; closing it after seq {} (the client resumes with "
                + "Last-Event-ID)", appId, capacity, written);
            break;
          }
          if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastWrite) >= heartbeatMillis) {
            long before = written;
            written = sendFromLog(emitter, source, written);
            if (written == before) {
              emitter.send(SseEmitter.event().comment("heartbeat"));
            }
            lastWrite = System.nanoTime();
          }
        }
        emitter.complete();
      } catch (IOException | IllegalStateException e) {
        LOG.debug("app stream of {} ended: {}", appId, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        emitter.complete();
      } finally {
        if (subscription != null) {
          subscription.close();
        }
      }
    });
    return emitter;
  }

  private long sendFromLog(SseEmitter emitter, AppSource source, long after) throws IOException {
    long written = after;
    while (true) {
      List<AppEvent> page = source.read(written);
      if (page.isEmpty()) {
        return written;
      }
      for (AppEvent e : page) {
        if (e.seq() > written) {
          send(emitter, e);
          written = e.seq();
        }
      }
    }
  }

  private void send(SseEmitter emitter, AppEvent e) throws IOException {
    emitter.send(SseEmitter.event().id(Long.toString(e.seq())).name(e.type()).data(json.codec().toJson(e)));
  }

  private static AtomicBoolean closedFlag(SseEmitter emitter) {
    AtomicBoolean closed = new AtomicBoolean();
    emitter.onCompletion(() -> closed.set(true));
    emitter.onTimeout(() -> closed.set(true));
    emitter.onError(e -> closed.set(true));
    return closed;
  }

  private static void open(SseEmitter emitter, String runId) throws IOException {
    emitter.send(SseEmitter.event().reconnectTime(2000).comment("run " + runId));
  }

  private void send(SseEmitter emitter, Event e) throws IOException {
    // Compact JSON has no raw newline, so one data: line carries it.
    emitter.send(SseEmitter.event().id(Long.toString(e.seq())).name(e.type()).data(json.codec().toJson(e)));
  }

  @Override
  public void close() {
    writers.shutdownNow();
  }
}
