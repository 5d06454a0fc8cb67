package io.chatbuilder.core.checkpoint;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Leases that let one run or history operation at a time touch an app, across every host sharing
 * the store (DESIGN §3.2). Checked by {@code LeaseStoreContract} in the testkit.
 *
 * <ul>
 *   <li>{@link #acquire} is atomic: of many concurrent callers for one free app exactly one wins;
 *       the others get {@link io.chatbuilder.core.BusyException} at once, naming the holder;
 *   <li>fencing tokens grow with every acquisition of an app and never repeat (a persistent store
 *       keeps them across restarts);
 *   <li>a lease not renewed within its ttl lapses: the next acquisition takes over with a higher
 *       token, and the old holder's {@link #renew} fails;
 *   <li>stores that also hold checkpoints refuse {@link CheckpointStore#append(CheckpointDraft, Lease)}
 *       with a token that is not the app's live one, in the same atomic step as the append.
 * </ul>
 * Implementations are thread-safe.
 */
public interface LeaseStore {

  /**
   * Takes the app's lease for {@code ttl}. Re-acquiring by the same holder replaces its lease with
   * one of a new token.
   *
   * @throws io.chatbuilder.core.BusyException at once if another holder's lease is live
   * @throws io.chatbuilder.core.InvalidArgumentException if the ttl is not positive or the holder is blank
   */
  Lease acquire(String appId, String holder, Duration ttl);

  /**
   * Extends a live lease to {@code ttl} from now and returns it with its new expiry (same token).
   *
   * @throws io.chatbuilder.core.LeaseLostException if it expired, was released or was taken over;
   *     the holder must then stop touching the workspace
   */
  Lease renew(Lease lease, Duration ttl);

  /**
   * Gives the lease up if it is still the app's (never another holder's); idempotent. The app's
   * intent stays: a holder clears it ({@link #clearIntent}) once its operation is done, and one
   * left behind (by a holder that died, or by a run whose last events were still being stored) is
   * checked by the next holder.
   */
  void release(Lease lease);

  /**
   * Durably records what the holder of {@code lease} is about to do, before it touches the
   * workspace, replacing the app's current intent. If the holder dies (its lease lapses without a
   * release), the next holder finds it with {@link #intent} and finishes or rolls the operation back.
   *
   * @throws io.chatbuilder.core.LeaseLostException if {@code lease} is not the app's live lease;
   *     nothing was recorded
   * @throws io.chatbuilder.core.InvalidArgumentException if the text is blank or longer than
   *     {@link LeaseIntent#MAX_LENGTH}
   */
  void recordIntent(Lease lease, String intent);

  /**
   * Clears the app's intent, whoever recorded it (the holder finished its operation, or recovered
   * the one a dead holder left).
   *
   * @throws io.chatbuilder.core.LeaseLostException if {@code lease} is not the app's live lease
   */
  void clearIntent(Lease lease);

  /**
   * A holder's normal end: {@link #clearIntent} then {@link #release}, which a store with
   * transactions does as one (one commit instead of two: issue 19's undo and restore rows pay for
   * every commit). Either both happen or, on a failure, at most the clear (as if called in turn).
   *
   * @throws io.chatbuilder.core.LeaseLostException if {@code lease} is not the app's live lease;
   *     nothing was cleared and the lease (another holder's now) stays
   */
  default void clearIntentAndRelease(Lease lease) {
    clearIntent(lease);
    release(lease);
  }

  /** The app's recorded intent, if any: the caller's own, or one a dead holder left behind. */
  Optional<LeaseIntent> intent(String appId);

  /** The app's live lease, if any. */
  Optional<Lease> current(String appId);

  /** The longest ttl stores must accept. */
  Duration MAX_TTL = Duration.ofDays(1);

  /** Checks the arguments every implementation checks the same way. */
  static void checkAcquire(String appId, String holder, Duration ttl) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(holder, "holder == null");
    Objects.requireNonNull(ttl, "ttl == null");
    if (appId.isEmpty()) {
      throw new io.chatbuilder.core.InvalidArgumentException("appId is empty");
    }
    if (holder.isBlank()) {
      throw new io.chatbuilder.core.InvalidArgumentException("holder is blank");
    }
    checkTtl(ttl);
  }

  /** Checks an intent's text the way every implementation does. */
  static void checkIntent(Lease lease, String intent) {
    Objects.requireNonNull(lease, "lease == null");
    Objects.requireNonNull(intent, "intent == null");
    if (intent.isBlank()) {
      throw new io.chatbuilder.core.InvalidArgumentException("intent is blank");
    }
    if (intent.length() > LeaseIntent.MAX_LENGTH) {
      throw new io.chatbuilder.core.InvalidArgumentException("intent is " + intent.length()
          + " characters; at most " + LeaseIntent.MAX_LENGTH + " are kept");
    }
  }

  /** @throws io.chatbuilder.core.InvalidArgumentException unless 1 ms <= ttl <= {@link #MAX_TTL} */
  static void checkTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl == null");
    if (ttl.toMillis() < 1 || ttl.compareTo(MAX_TTL) > 0) {
      throw new io.chatbuilder.core.InvalidArgumentException("lease ttl must be between 1 ms and " + MAX_TTL + ", not " + ttl);
    }
  }
}
