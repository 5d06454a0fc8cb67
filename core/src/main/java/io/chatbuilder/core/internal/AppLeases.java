package io.chatbuilder.core.internal;

import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases one {@code ChatBuilder} holds: taken from the {@link LeaseStore}, renewed in the
 * background every ttl/3, and released when the operation ends or the host closes. Not API.
 *
 * <p>A lease whose renewal is refused is lost at once; one whose renewals keep failing for other
 * reasons (the store unreachable) counts as lost once a whole ttl has passed since the last
 * success, since by then the store may have handed it to another host.
 */
public final class AppLeases implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AppLeases.class);

  private final LeaseStore store;
  private final String hostId;
  private final Duration ttl;
  private final ScheduledExecutorService renewer;
  private final Set<Held> held = ConcurrentHashMap.newKeySet();

  public AppLeases(LeaseStore store, String hostId, Duration ttl) {
    this.store = Objects.requireNonNull(store, "store == null");
    this.hostId = Objects.requireNonNull(hostId, "hostId == null");
    LeaseStore.checkTtl(ttl);
    this.ttl = ttl;
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "chatbuilder-lease-renewer");
      t.setDaemon(true);
      return t;
    });
  }

  public LeaseStore store() {
    return store;
  }

  /**
   * Takes the app's lease for {@code what} (e.g. "run run_x") and keeps it renewed.
   *
   * @param onLost called once, on the renewer's thread, if the lease is lost while held
   * @throws io.chatbuilder.core.BusyException if another holder has it
   */
  public Held acquire(String appId, String what, Consumer<LeaseLostException> onLost) {
    Objects.requireNonNull(onLost, "onLost == null");
    Lease lease = store.acquire(appId, hostId + ": " + what, ttl);
    Held h = new Held(lease, onLost);
    held.add(h);
    long periodMillis = Math.max(1, ttl.toMillis() / 3);
    try {
      h.renewal = renewer.scheduleWithFixedDelay(h::renew, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      h.release(); // the renewer is shut down: this host is closing
      throw e;
    }
    return h;
  }

  /** Stops renewing and releases every lease still held. */
  @Override
  public void close() {
    renewer.shutdownNow();
    for (Held h : new ArrayList<>(held)) {
      h.release();
    }
  }

  /** One held lease. */
  public final class Held {
    private final Lease acquired;
    private final Consumer<LeaseLostException> onLost;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile Lease lease;
    private volatile LeaseLostException lost;
    private volatile long lastRenewedNanos = System.nanoTime();
    private volatile ScheduledFuture<?> renewal;

    private Held(Lease lease, Consumer<LeaseLostException> onLost) {
      this.acquired = lease;
      this.lease = lease;
      this.onLost = onLost;
    }

    /** The lease as last renewed; its token is the one it was acquired with. */
    public Lease lease() {
      return lease;
    }

    /** Why the lease was lost, if it was. */
    public Optional<LeaseLostException> lost() {
      return Optional.ofNullable(lost);
    }

    /**
     * Renews now, on the caller's thread, so a decision about the workspace (record a checkpoint or
     * not) never rests on the background renewer having noticed a takeover yet. Returns whether
     * the lease is still held.
     */
    public boolean verify() {
      renew();
      return lost == null && !released.get();
    }

    private void renew() {
      if (released.get() || lost != null) {
        return;
      }
      try {
        lease = store.renew(acquired, ttl);
        lastRenewedNanos = System.nanoTime();
      } catch (LeaseLostException e) {
        lose(e);
      } catch (RuntimeException e) {
        long since = System.nanoTime() - lastRenewedNanos;
        if (since >= ttl.toNanos()) {
          lose(new LeaseLostException("the lease of " + acquired.holder() + " on app " + acquired.appId()
              + " could not be renewed for " + ttl + " and may have passed to another host: " + e.getMessage(), e));
        } else {
          LOG.warn("could not renew the lease on app {} (will retry): {}", acquired.appId(), e.toString());
        }
      }
    }

    private void lose(LeaseLostException e) {
      if (released.get()) {
        return;
      }
      lost = e;
      LOG.warn("lost the lease on app {}: {}", acquired.appId(), e.getMessage());
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
      try {
        onLost.accept(e);
      } catch (RuntimeException ex) {
        LOG.warn("lease-lost callback failed for app {}", acquired.appId(), ex);
      }
    }

    /**
     * The operation is done: clears the app's intent and gives the lease back in one store call
     * ({@link LeaseStore#clearIntentAndRelease}). Throws what clearing throws (a lost lease); the
     * lease is then released as far as this holder goes (it stops renewing).
     */
    public void clearIntentAndRelease() {
      if (stopHolding()) {
        store.clearIntentAndRelease(acquired);
      }
    }

    /** Whether this call stopped the holding (renewal cancelled, no longer listed); false if already done. */
    private boolean stopHolding() {
      if (!released.compareAndSet(false, true)) {
        return false;
      }
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
      held.remove(this);
      return true;
    }

    /** Stops renewing and gives the lease back (if it is still this holder's); idempotent. */
    public void release() {
      if (!stopHolding()) {
        return;
      }
      try {
        store.release(acquired);
      } catch (RuntimeException e) {
        // It lapses after its ttl anyway.
        LOG.warn("could not release the lease on app {}; it lapses in at most {}: {}", acquired.appId(), ttl, e.toString());
      }
    }
  }
}
