package io.chatbuilder.core.checkpoint;

import java.time.Duration;
import java.util.Optional;

/**
 * A {@link LeaseStore} that keeps its leases in another one: checkpoint stores that also hold the
 * app's leases (so the history and its lease share one store) implement this and name their lease
 * store, instead of forwarding every lease method by hand.
 *
 * <p>{@link #clearIntentAndRelease} is not forwarded: it runs this store's own {@link #clearIntent}
 * and {@link #release}, so a decorator that watches releases sees every one. A store that only
 * forwards (overrides neither) may forward it too, to keep its lease store's single transaction.
 */
public interface ForwardingLeaseStore extends LeaseStore {

  /** The store the leases are kept in. */
  LeaseStore leases();

  @Override
  default Lease acquire(String appId, String holder, Duration ttl) {
    return leases().acquire(appId, holder, ttl);
  }

  @Override
  default Lease renew(Lease lease, Duration ttl) {
    return leases().renew(lease, ttl);
  }

  @Override
  default void release(Lease lease) {
    leases().release(lease);
  }

  @Override
  default void recordIntent(Lease lease, String intent) {
    leases().recordIntent(lease, intent);
  }

  @Override
  default void clearIntent(Lease lease) {
    leases().clearIntent(lease);
  }

  @Override
  default Optional<LeaseIntent> intent(String appId) {
    return leases().intent(appId);
  }

  @Override
  default Optional<Lease> current(String appId) {
    return leases().current(appId);
  }
}
