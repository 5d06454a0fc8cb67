package io.chatbuilder.models;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import okhttp3.Headers;

/** Reads a server's retry hint: {@code retry-after-ms}, else {@code retry-after} as seconds or an HTTP date. */
final class RetryAfter {
  private RetryAfter() {}

  static Optional<Duration> parse(Headers headers, Clock clock) {
    String ms = headers.get("retry-after-ms");
    if (ms != null) {
      Optional<Duration> d = number(ms, 1);
      if (d.isPresent()) {
        return d;
      }
    }
    String value = headers.get("retry-after");
    if (value == null) {
      return Optional.empty();
    }
    Optional<Duration> seconds = number(value, 1000);
    if (seconds.isPresent()) {
      return seconds;
    }
    try {
      Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(clock.instant(), at);
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static Optional<Duration> number(String text, long millisPerUnit) {
    try {
      double v = Double.parseDouble(text.trim());
      if (!(v >= 0) || Double.isInfinite(v)) {
        return Optional.empty();
      }
      return Optional.of(Duration.ofMillis((long) Math.ceil(v * millisPerUnit)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
