package io.chatbuilder.models;

import io.chatbuilder.core.ModelException;
import java.time.Duration;
import java.util.Optional;

/** A provider failure that may carry the server's own retry delay. Callers see it as a {@link ModelException}. */
final class ProviderFailure extends ModelException {
  private static final long serialVersionUID = 1L;

  private final transient Duration retryAfter;

  ProviderFailure(String message, boolean retryable) {
    this(message, retryable, null, null);
  }

  ProviderFailure(String message, boolean retryable, Duration retryAfter, Throwable cause) {
    super(message, retryable, cause);
    this.retryAfter = retryAfter;
  }

  Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
