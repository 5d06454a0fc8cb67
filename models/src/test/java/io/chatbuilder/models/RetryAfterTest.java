package io.chatbuilder.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import okhttp3.Headers;
import org.junit.jupiter.api.Test;

/** Server retry hints; the backoff itself is core's {@code RetryPolicy} (its tests are in core). */
class RetryAfterTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

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
