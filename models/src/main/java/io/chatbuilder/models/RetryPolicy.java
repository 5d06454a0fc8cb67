package io.chatbuilder.models;

import java.time.Duration;
import java.util.Objects;

/**
 * How a model client retries a failed request (HTTP 408/429/5xx/529, a network fault, an overload
 * error event, a cut-off stream). It retries only while nothing of the turn has reached the caller,
 * so a retry never repeats text. A server's {@code retry-after-ms} or {@code retry-after} (seconds
 * or HTTP date) is honoured as given, unless it exceeds {@code maxRetryAfter}, in which case the
 * error is reported at once; otherwise the delay is exponential from {@code initialBackoff}, capped
 * at {@code maxBackoff}, with "equal jitter" (a random point in the upper half).
 *
 * @param maxRetries retries after the first attempt; 0 disables retries
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter) {
  /** 3 retries, 500 ms doubling up to 20 s, server hints up to 60 s. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(3, Duration.ofMillis(500), Duration.ofSeconds(20), Duration.ofSeconds(60));

  /** No retries: every failure is reported at once. */
  public static final RetryPolicy NONE = new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);

  public RetryPolicy {
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries < 0");
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff == null");
    Objects.requireNonNull(maxBackoff, "maxBackoff == null");
    Objects.requireNonNull(maxRetryAfter, "maxRetryAfter == null");
    if (initialBackoff.isNegative() || maxBackoff.isNegative() || maxRetryAfter.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
  }

  /**
   * The un-jittered backoff before retry number {@code retry} (0-based): {@code initialBackoff *
   * 2^retry}, capped at {@code maxBackoff}.
   */
  public Duration backoff(int retry) {
    long initial = initialBackoff.toMillis();
    long cap = maxBackoff.toMillis();
    long delay = initial;
    for (int i = 0; i < retry && delay < cap; i++) {
      delay = delay > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : delay * 2;
    }
    return Duration.ofMillis(Math.min(delay, cap));
  }

  /** {@link #backoff} with equal jitter: {@code backoff/2 + random * backoff/2}, for {@code random} in [0, 1). */
  Duration jitteredBackoff(int retry, double random) {
    long ms = backoff(retry).toMillis();
    return Duration.ofMillis(ms / 2 + (long) (random * (ms - ms / 2)));
  }
}
