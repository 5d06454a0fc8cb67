package io.chatbuilder.core.internal;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes one {@code ChatBuilder} has open, by app. Not API.
 *
 * <ul>
 *   <li>Opening (maybe a remote call) runs outside every shared lock: the first caller for an app
 *       opens it, concurrent callers for the same app wait for that one open, callers for other
 *       apps are never blocked. A failed open is forgotten, so the next caller tries again.
 *   <li>Reference counting: {@link #acquire} holds the sandbox until {@link Held#close()}; a held
 *       sandbox is never evicted.
 *   <li>A sandbox nobody holds for longer than the idle timeout is closed and forgotten (checked
 *       every quarter of the timeout); the next use opens it again. A caller that arrives while it
 *       is being closed waits for the close, then opens a fresh one, so it never gets a closed one.
 *   <li>{@link #close()} closes every sandbox, held or not.
 * </ul>
 */
public final class SandboxCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxCache.class);

  private final SandboxProvider provider;
  private final long idleNanos;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper; // null: tests call evictIdle()
  private volatile boolean closed;

  public SandboxCache(SandboxProvider provider, Duration idleTimeout) {
    this(provider, idleTimeout, System::nanoTime, true);
  }

  SandboxCache(SandboxProvider provider, Duration idleTimeout, LongSupplier nanoTime, boolean sweep) {
    this.provider = Objects.requireNonNull(provider, "provider == null");
    Objects.requireNonNull(idleTimeout, "idleTimeout == null");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive");
    }
    this.idleNanos = idleTimeout.toNanos();
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime == null");
    if (sweep) {
      this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chatbuilder-sandbox-sweeper");
        t.setDaemon(true);
        return t;
      });
      long period = Math.max(1, idleTimeout.toMillis() / 4);
      sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    } else {
      this.sweeper = null;
    }
  }

  /**
   * The app's sandbox, opened if needed, held until the returned handle is closed.
   *
   * @throws IllegalStateException if this cache is closed
   */
  public Held acquire(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    while (true) {
      checkOpen();
      Entry e = entries.computeIfAbsent(appId, k -> new Entry());
      CompletableFuture<Void> closing = null;
      synchronized (e) {
        if (e.evicted) {
          closing = e.gone;
        } else {
          e.refs++;
          e.lastUsed = nanoTime.getAsLong();
        }
      }
      if (closing != null) {
        await(closing, appId); // being closed: wait, then open a fresh one
        continue;
      }
      Held held = new Held(e);
      if (e.opening.compareAndSet(false, true)) {
        try {
          e.sandbox.complete(Objects.requireNonNull(provider.open(appId), "the sandbox provider returned null"));
        } catch (RuntimeException | Error t) {
          e.sandbox.completeExceptionally(t);
          forget(appId, e);
        }
      }
      try {
        held.sandbox = await(e.sandbox, appId);
      } catch (RuntimeException | Error t) {
        held.close();
        throw t;
      }
      if (closed) {
        // close() may have run before this entry existed: close it here so nothing stays open.
        held.close();
        boolean mine;
        synchronized (e) {
          mine = !e.evicted;
          e.evicted = true;
        }
        if (mine) {
          closeAndForget(appId, e);
        }
        checkOpen();
      }
      return held;
    }
  }

  /** Closes and forgets the sandboxes nobody has held for the idle timeout; returns how many. */
  public int evictIdle() {
    long now = nanoTime.getAsLong();
    List<Map.Entry<String, Entry>> victims = new ArrayList<>();
    for (Map.Entry<String, Entry> me : entries.entrySet()) {
      Entry e = me.getValue();
      synchronized (e) {
        if (!e.evicted && e.refs == 0 && e.sandbox.isDone() && !e.sandbox.isCompletedExceptionally()
            && now - e.lastUsed >= idleNanos) {
          e.evicted = true;
          victims.add(me);
        }
      }
    }
    for (Map.Entry<String, Entry> me : victims) {
      LOG.debug("closing the sandbox of app {}: idle for {} ms", me.getKey(), idleNanos / 1_000_000);
      closeAndForget(me.getKey(), me.getValue());
    }
    return victims.size();
  }

  /** Apps whose sandbox is open (or opening) now; for tests and diagnostics. */
  public List<String> openApps() {
    return List.copyOf(new java.util.TreeSet<>(entries.keySet()));
  }

  /** Closes every sandbox, held or not; sandboxes still opening are closed once open. Idempotent. */
  @Override
  public void close() {
    closed = true;
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
    for (Map.Entry<String, Entry> me : entries.entrySet()) {
      Entry e = me.getValue();
      synchronized (e) {
        if (e.evicted) {
          continue;
        }
        e.evicted = true;
      }
      if (e.sandbox.isDone()) {
        closeAndForget(me.getKey(), e);
      } else {
        e.sandbox.whenComplete((s, t) -> closeAndForget(me.getKey(), e));
      }
    }
  }

  private void sweep() {
    try {
      evictIdle();
    } catch (RuntimeException e) {
      LOG.warn("evicting idle sandboxes failed", e);
    }
  }

  private void closeAndForget(String appId, Entry e) {
    try {
      Sandbox s = e.sandbox.getNow(null);
      if (s != null) {
        s.close();
      }
    } catch (RuntimeException t) {
      // A failed open has nothing to close; a failing close must not keep the entry.
      if (!e.sandbox.isCompletedExceptionally()) {
        LOG.warn("closing the sandbox of app {} failed: {}", appId, t.toString());
      }
    } finally {
      entries.remove(appId, e);
      e.gone.complete(null);
    }
  }

  private void forget(String appId, Entry e) {
    synchronized (e) {
      e.evicted = true;
    }
    entries.remove(appId, e);
    e.gone.complete(null);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this ChatBuilder is closed");
    }
  }

  private static <T> T await(CompletableFuture<T> future, String appId) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while waiting for the sandbox of app " + appId, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new SandboxException("opening the sandbox of app " + appId + " failed: " + cause, cause);
    }
  }

  private static final class Entry {
    final CompletableFuture<Sandbox> sandbox = new CompletableFuture<>();
    /** Completed once the entry is closed and removed from the map. */
    final CompletableFuture<Void> gone = new CompletableFuture<>();
    final AtomicBoolean opening = new AtomicBoolean();
    int refs; // guarded by this
    long lastUsed; // guarded by this
    boolean evicted; // guarded by this
  }

  /** One hold of an app's sandbox; {@link #close()} releases it (idempotent). */
  public final class Held implements AutoCloseable {
    private final Entry entry;
    private final AtomicBoolean released = new AtomicBoolean();
    private Sandbox sandbox;

    private Held(Entry entry) {
      this.entry = entry;
    }

    /** The sandbox itself (not a view): valid until this hold is released. */
    public Sandbox sandbox() {
      return sandbox;
    }

    @Override
    public void close() {
      if (released.compareAndSet(false, true)) {
        synchronized (entry) {
          entry.refs--;
          entry.lastUsed = nanoTime.getAsLong();
        }
      }
    }
  }
}
