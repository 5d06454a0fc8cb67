package io.chatbuilder.core;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How work that failed for a transient reason is tried again: at most {@code maxAttempts} tries in
 * all, waiting between them an exponentially growing backoff ({@code initialBackoff}, doubled each
 * time, capped at {@code maxBackoff}), of which a {@code jitter} fraction is random so that hosts
 * retrying the same database spread out. The one retry type of the project: the JDBC stores'
 * transactions and the event writer use it.
 *
 * @param maxAttempts tries in all, at least 1 (1 = no retry)
 * @param initialBackoff the wait before the second try
 * @param maxBackoff the longest wait between two tries
 * @param jitter 0 (always the full backoff) to 1 (anywhere between 0 and the full backoff)
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double jitter) {

  /** No retry at all. */
  public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 0);

  public RetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff == null");
    Objects.requireNonNull(maxBackoff, "maxBackoff == null");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1");
    }
    if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
      throw new IllegalArgumentException("backoffs must not be negative");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("maxBackoff must be >= initialBackoff");
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter must be between 0 and 1");
    }
  }

  /**
   * The wait after the {@code failedAttempt}-th try failed (1 for the first): {@code initialBackoff
   * * 2^(failedAttempt-1)} capped at {@code maxBackoff}, less a random part of up to {@code jitter}
   * of it ({@code jitter == 0} makes it deterministic).
   */
  public Duration backoff(int failedAttempt, RandomGenerator random) {
    Objects.requireNonNull(random, "random == null");
    if (failedAttempt < 1) {
      throw new IllegalArgumentException("failedAttempt must be >= 1");
    }
    long initial = initialBackoff.toNanos();
    long max = maxBackoff.toNanos();
    int shift = Math.min(failedAttempt - 1, 62);
    long full = initial == 0 ? 0 : (initial > (max >> shift) ? max : Math.min(max, initial << shift));
    long randomPart = (long) (full * jitter);
    long wait = full - randomPart + (randomPart > 0 ? random.nextLong(randomPart + 1) : 0);
    return Duration.ofNanos(wait);
  }

  /** Whether a try that failed as the {@code attempt}-th may be followed by another. */
  public boolean allowsAnotherAfter(int attempt) {
    return attempt < maxAttempts;
  }

  /** Sleeps {@link #backoff}; an interrupt ends the wait with {@link CancelledException}. */
  public void sleep(int failedAttempt, RandomGenerator random) {
    Duration wait = backoff(failedAttempt, random);
    if (wait.isZero()) {
      return;
    }
    try {
      Thread.sleep(wait.toMillis(), (int) (wait.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelledException("interrupted while waiting to retry", e);
    }
  }
}
