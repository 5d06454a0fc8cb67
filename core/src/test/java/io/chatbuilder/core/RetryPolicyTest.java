package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static final RandomGenerator UNUSED = new SplittableRandom(1);

  /** Lands at {@code fraction} of any bounded range, so a jittered wait is exact. */
  private static RandomGenerator fraction(double fraction) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException();
      }

      @Override
      public long nextLong(long bound) {
        return (long) (fraction * bound);
      }
    };
  }

  @Test
  void backoffDoublesAndIsCapped() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000), 0);
    assertThat(p.backoff(1, UNUSED)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoff(2, UNUSED)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoff(4, UNUSED)).isEqualTo(Duration.ofMillis(800));
    assertThat(p.backoff(5, UNUSED)).isEqualTo(Duration.ofMillis(1000));
    assertThat(p.backoff(61, UNUSED)).isEqualTo(Duration.ofMillis(1000));
    assertThat(p.backoff(Integer.MAX_VALUE, UNUSED)).isEqualTo(Duration.ofMillis(1000)); // no overflow
  }

  @Test
  void halfJitterStaysInTheUpperHalf() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000), 0.5);
    assertThat(p.backoff(3, fraction(0.0))).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoff(3, fraction(0.5))).isEqualTo(Duration.ofMillis(300));
    assertThat(p.backoff(3, fraction(0.999))).isBetween(Duration.ofMillis(399), Duration.ofMillis(400));
    assertThat(p.backoff(10, fraction(0.999))).isLessThanOrEqualTo(Duration.ofMillis(1000));
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 10_000; i++) {
      assertThat(p.backoff(3, random)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
    }
  }

  @Test
  void fullJitterMayWaitNothingAndZeroJitterIsExact() {
    RetryPolicy full = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(100), 1.0);
    assertThat(full.backoff(1, fraction(0.0))).isEqualTo(Duration.ZERO);
    assertThat(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(100), 0).backoff(2, new SplittableRandom(7)))
        .isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void maxAttemptsCountsTheFirstTry() {
    RetryPolicy p = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0);
    assertThat(p.allowsAnotherAfter(1)).isTrue();
    assertThat(p.allowsAnotherAfter(2)).isTrue();
    assertThat(p.allowsAnotherAfter(3)).isFalse();
    assertThat(RetryPolicy.NONE.allowsAnotherAfter(1)).isFalse();
    assertThat(RetryPolicy.NONE.backoff(1, UNUSED)).isEqualTo(Duration.ZERO);
  }

  @Test
  void rejectsBadSettings() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofMillis(-1), Duration.ZERO, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(5), 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBackoff");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter");
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter");
    assertThatThrownBy(() -> RetryPolicy.NONE.backoff(0, UNUSED)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anInterruptEndsTheWaitAsCancelled() {
    RetryPolicy p = new RetryPolicy(2, Duration.ofSeconds(30), Duration.ofSeconds(30), 0);
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> p.sleep(1, UNUSED)).isInstanceOf(CancelledException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}
