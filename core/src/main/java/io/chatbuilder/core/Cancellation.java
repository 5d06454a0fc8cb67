package io.chatbuilder.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Objects;

/**
 * A cancellation signal shared by a run, its model stream and its running tool. Whoever does
 * blocking work registers a callback ({@link #onCancel}) that interrupts it: the model client closes
 * its HTTP stream, the command runner kills the process tree.
 */
public final class Cancellation {
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final List<Runnable> callbacks = new CopyOnWriteArrayList<>();

  /** Requests cancellation; runs every registered callback once. Idempotent. */
  public void cancel() {
    if (cancelled.compareAndSet(false, true)) {
      for (Runnable callback : callbacks) {
        runQuietly(callback);
      }
    }
  }

  public boolean isCancelled() {
    return cancelled.get();
  }

  /** Throws {@link CancelledException} if cancellation was requested. */
  public void throwIfCancelled() {
    if (cancelled.get()) {
      throw new CancelledException("cancelled");
    }
  }

  /**
   * Registers a callback that runs when cancellation is requested, or at once if it already was.
   * Close the returned registration when the guarded work is over.
   */
  public Registration onCancel(Runnable callback) {
    Objects.requireNonNull(callback, "callback == null");
    callbacks.add(callback);
    if (cancelled.get() && callbacks.remove(callback)) {
      runQuietly(callback);
    }
    return () -> callbacks.remove(callback);
  }

  private static void runQuietly(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException ignored) {
      // A failing callback must not stop the others from running.
    }
  }

  /** A registered cancellation callback; closing it unregisters the callback. */
  @FunctionalInterface
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }
}
