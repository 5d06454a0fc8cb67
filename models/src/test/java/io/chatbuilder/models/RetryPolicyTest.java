package io.chatbuilder.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import okhttp3.Headers;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  @Test
  void backoffDoublesAndIsCapped() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000), Duration.ofSeconds(5));
    assertThat(p.backoff(0)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoff(1)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoff(3)).isEqualTo(Duration.ofMillis(800));
    assertThat(p.backoff(4)).isEqualTo(Duration.ofMillis(1000));
    assertThat(p.backoff(60)).isEqualTo(Duration.ofMillis(1000));
  }

  @Test
  void jitterStaysInTheUpperHalf() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000), Duration.ofSeconds(5));
    assertThat(p.jitteredBackoff(2, 0.0)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.jitteredBackoff(2, 0.5)).isEqualTo(Duration.ofMillis(300));
    assertThat(p.jitteredBackoff(2, 0.999)).isBetween(Duration.ofMillis(399), Duration.ofMillis(400));
    assertThat(p.jitteredBackoff(9, 0.999)).isLessThanOrEqualTo(Duration.ofMillis(1000));
  }

  @Test
  void rejectsNegativeSettings() {
    assertThatThrownBy(() -> new RetryPolicy(-1, Duration.ZERO, Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofMillis(-1), Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void retryAfterMsWinsOverRetryAfter() {
    Headers h = Headers.of("retry-after-ms", "1500", "retry-after", "9");
    assertThat(RetryAfter.parse(h, CLOCK)).contains(Duration.ofMillis(1500));
  }

  @Test
  void retryAfterSecondsIncludingFractions() {
    assertThat(RetryAfter.parse(Headers.of("retry-after", "2"), CLOCK)).contains(Duration.ofSeconds(2));
    assertThat(RetryAfter.parse(Headers.of("retry-after", "0.25"), CLOCK)).contains(Duration.ofMillis(250));
  }

  @Test
  void retryAfterHttpDate() {
    assertThat(RetryAfter.parse(Headers.of("retry-after", "Thu, 01 Jan 2026 00:00:07 GMT"), CLOCK))
        .contains(Duration.ofSeconds(7));
    assertThat(RetryAfter.parse(Headers.of("retry-after", "Wed, 31 Dec 2025 23:59:00 GMT"), CLOCK))
        .contains(Duration.ZERO);
  }

  @Test
  void garbageRetryAfterIsIgnored() {
    assertThat(RetryAfter.parse(Headers.of("retry-after", "soon"), CLOCK)).isEmpty();
    assertThat(RetryAfter.parse(Headers.of("retry-after", "-3"), CLOCK)).isEmpty();
    assertThat(RetryAfter.parse(Headers.of("retry-after-ms", "NaN"), CLOCK)).isEmpty();
    assertThat(RetryAfter.parse(Headers.of(), CLOCK)).isEmpty();
  }
}
