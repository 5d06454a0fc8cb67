package io.chatbuilder.core.checkpoint;

import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.LeaseLostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A {@link LeaseStore} in memory, for one process: the default of {@code ChatBuilder} when its
 * checkpoint store keeps no leases, and the leases of {@link InMemoryCheckpointStore}. Expiry is
 * measured on {@link System#nanoTime()}, so wall-clock jumps neither extend nor cut a lease; tokens
 * grow for the life of this object.
 */
public final class InMemoryLeaseStore implements LeaseStore {
  private final Map<String, Slot> slots = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;
  private final Clock clock;

  public InMemoryLeaseStore() {
    this(System::nanoTime, Clock.systemUTC());
  }

  /** For tests that move time by hand: expiry follows {@code nanoTime}, {@code clock} only dates it. */
  public InMemoryLeaseStore(LongSupplier nanoTime, Clock clock) {
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime == null");
    this.clock = Objects.requireNonNull(clock, "clock == null");
  }

  /** One app's state; its monitor orders everything done to the app's lease. */
  private static final class Slot {
    long lastToken;
    String holder;
    long token;
    long expiresAtNanos;
    Instant expiresAt;
    boolean live;
    LeaseIntent intent;
  }

  private Slot slot(String appId) {
    return slots.computeIfAbsent(appId, k -> new Slot());
  }

  private boolean liveNow(Slot s) {
    return s.live && s.expiresAtNanos - nanoTime.getAsLong() > 0;
  }

  @Override
  public Lease acquire(String appId, String holder, Duration ttl) {
    LeaseStore.checkAcquire(appId, holder, ttl);
    Slot s = slot(appId);
    synchronized (s) {
      if (liveNow(s) && !s.holder.equals(holder)) {
        throw new BusyException("app " + appId + " is busy: " + s.holder + " holds it until " + s.expiresAt);
      }
      s.lastToken++;
      s.token = s.lastToken;
      s.holder = holder;
      s.live = true;
      extend(s, ttl);
      return lease(appId, s);
    }
  }

  @Override
  public Lease renew(Lease lease, Duration ttl) {
    Objects.requireNonNull(lease, "lease == null");
    LeaseStore.checkTtl(ttl);
    Slot s = slot(lease.appId());
    synchronized (s) {
      requireLive(s, lease);
      extend(s, ttl);
      return lease(lease.appId(), s);
    }
  }

  @Override
  public void release(Lease lease) {
    Objects.requireNonNull(lease, "lease == null");
    Slot s = slots.get(lease.appId());
    if (s == null) {
      return;
    }
    synchronized (s) {
      if (s.token == lease.token()) {
        s.live = false;
      }
    }
  }

  @Override
  public void recordIntent(Lease lease, String intent) {
    LeaseStore.checkIntent(lease, intent);
    Slot s = slot(lease.appId());
    synchronized (s) {
      requireLive(s, lease);
      s.intent = new LeaseIntent(lease.token(), intent);
    }
  }

  @Override
  public void clearIntent(Lease lease) {
    Objects.requireNonNull(lease, "lease == null");
    Slot s = slot(lease.appId());
    synchronized (s) {
      requireLive(s, lease);
      s.intent = null;
    }
  }

  @Override
  public Optional<LeaseIntent> intent(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    Slot s = slots.get(appId);
    if (s == null) {
      return Optional.empty();
    }
    synchronized (s) {
      return Optional.ofNullable(s.intent);
    }
  }

  @Override
  public Optional<Lease> current(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    Slot s = slots.get(appId);
    if (s == null) {
      return Optional.empty();
    }
    synchronized (s) {
      return liveNow(s) ? Optional.of(lease(appId, s)) : Optional.empty();
    }
  }

  /**
   * Runs {@code write} only if {@code lease} is the app's live lease, and keeps every acquisition,
   * renewal and release of the app waiting until it returns: what a single-process store needs to
   * refuse a stale holder's write atomically.
   *
   * @throws LeaseLostException if the lease is not live; {@code write} did not run
   */
  public <T> T fenced(Lease lease, Supplier<T> write) {
    Objects.requireNonNull(lease, "lease == null");
    Objects.requireNonNull(write, "write == null");
    Slot s = slot(lease.appId());
    synchronized (s) {
      requireLive(s, lease);
      return write.get();
    }
  }

  private void requireLive(Slot s, Lease lease) {
    if (s.token == lease.token() && liveNow(s)) {
      return;
    }
    String why;
    if (s.token == 0 || lease.token() > s.lastToken) {
      why = "this store never handed it out";
    } else if (s.token != lease.token()) {
      why = "taken over by " + s.holder + " (token " + s.token + ")";
    } else if (!s.live) {
      why = "released";
    } else {
      why = "expired at " + s.expiresAt;
    }
    throw new LeaseLostException("the lease of " + lease.holder() + " on app " + lease.appId() + " (token "
        + lease.token() + ") is lost: " + why);
  }

  private void extend(Slot s, Duration ttl) {
    s.expiresAtNanos = nanoTime.getAsLong() + ttl.toNanos();
    s.expiresAt = clock.instant().plus(ttl);
  }

  private static Lease lease(String appId, Slot s) {
    return new Lease(appId, s.holder, s.token, s.expiresAt);
  }
}
