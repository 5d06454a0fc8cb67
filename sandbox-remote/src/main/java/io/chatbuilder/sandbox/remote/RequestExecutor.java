package io.chatbuilder.sandbox.remote;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The executor of the JDK {@code HttpServer}: runs each exchange on the server's dispatcher thread,
 * so a short request costs no hand-off to another thread (issue 19, B8: the hand-offs were most of
 * the loopback overhead). {@link Router} decides per request, once the headers are read, whether it
 * stays there; everything that may wait (a body still arriving, a long or blocking operation, a
 * stream, a sandbox busy with another request) it moves to {@link #pool()}.
 *
 * <p>The JDK reads the request line and headers on the executor's thread with a blocking read, and
 * the dispatcher serves every connection. While it does client I/O for an inline exchange, a
 * watchdog bounds how long one connection may hold it: past {@link #clientIoLimitNanos} the
 * dispatcher is interrupted, which closes that connection's channel (its blocking read or write
 * ends with {@code ClosedByInterruptException}) and lets the dispatcher go on. Interrupts happen only
 * in that phase, never while the sandbox works, and are cleared before the dispatcher leaves.
 */
final class RequestExecutor implements Executor, AutoCloseable {
  private static final int IDLE = 0;
  private static final int CLIENT_IO = 1;
  private static final int WORK = 2;
  /** Ticks without an inline exchange before the watchdog sleeps until the next one. */
  private static final int IDLE_TICKS = 40;

  private final ExecutorService pool;
  private final boolean inline;
  private final long clientIoLimitNanos;
  private final long tickMillis;
  private final Thread watchdog;
  /** The JDK's dispatcher thread, recorded on the first call (the JDK calls execute only there). */
  private volatile Thread dispatcher;
  // Guarded by this: the phase of the inline exchange, its number and when its client I/O began.
  private int phase = IDLE;
  private long sequence;
  private long ioSince;
  private boolean cut;
  private boolean watchdogAsleep;
  private boolean closed;

  RequestExecutor(ExecutorService pool, boolean inline, long clientIoLimitMillis) {
    this.pool = Objects.requireNonNull(pool, "pool == null");
    this.inline = inline;
    this.clientIoLimitNanos = TimeUnit.MILLISECONDS.toNanos(clientIoLimitMillis);
    this.tickMillis = Math.max(1, clientIoLimitMillis / 4);
    this.watchdog = inline ? new Thread(this::watch, "sandbox-remote-dispatch-watchdog") : null;
    if (watchdog != null) {
      watchdog.setDaemon(true);
      watchdog.start();
    }
  }

  ExecutorService pool() {
    return pool;
  }

  @Override
  public void execute(Runnable exchange) {
    Thread current = Thread.currentThread();
    if (inline && dispatcher == null) {
      dispatcher = current;
    }
    if (!inline || current != dispatcher) {
      pool.execute(exchange);
      return;
    }
    synchronized (this) {
      sequence++;
      phase = CLIENT_IO;
      ioSince = System.nanoTime();
      cut = false;
      if (watchdogAsleep) {
        notifyAll();
      }
    }
    try {
      exchange.run();
    } finally {
      synchronized (this) {
        phase = IDLE;
      }
      // An interrupt of the watchdog that arrived after the I/O it meant to cut must not reach the
      // JDK's selector loop (a pending interrupt makes every select return at once).
      Thread.interrupted();
    }
  }

  /** Whether the calling thread runs an exchange inline (on the dispatcher) right now. */
  boolean inlineHere() {
    return inline && Thread.currentThread() == dispatcher && phaseIsNot(IDLE);
  }

  private synchronized boolean phaseIsNot(int p) {
    return phase != p;
  }

  /**
   * The inline exchange stops doing client I/O (its headers are read; its body, if any, is
   * buffered): the watchdog leaves it alone until {@link #clientIo()}.
   */
  void work() {
    synchronized (this) {
      phase = WORK;
    }
    Thread.interrupted(); // a cut that came too late: the read it meant has finished
  }

  /** The inline exchange writes its (small) reply: bounded by the watchdog again. */
  void clientIo() {
    synchronized (this) {
      phase = CLIENT_IO;
      ioSince = System.nanoTime();
      cut = false;
    }
  }

  private void watch() {
    long seen = -1;
    int idleTicks = 0;
    try {
      while (true) {
        synchronized (this) {
          if (closed) {
            return;
          }
          if (sequence == seen && phase == IDLE && ++idleTicks > IDLE_TICKS) {
            // Nothing inline for a while: sleep until the next exchange instead of ticking.
            watchdogAsleep = true;
            while (!closed && phase == IDLE) {
              wait();
            }
            watchdogAsleep = false;
            idleTicks = 0;
          }
          if (sequence != seen) {
            seen = sequence;
            idleTicks = 0;
          }
          if (phase == CLIENT_IO && !cut && System.nanoTime() - ioSince >= clientIoLimitNanos && dispatcher != null) {
            // Under the lock, so the dispatcher cannot have moved on to sandbox work meanwhile.
            dispatcher.interrupt();
            cut = true;
          }
        }
        Thread.sleep(tickMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    if (watchdog != null) {
      watchdog.interrupt();
    }
    pool.shutdownNow();
  }
}
