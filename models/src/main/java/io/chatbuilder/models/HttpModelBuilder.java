package io.chatbuilder.models;

import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.model.ModelClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;
import okhttp3.OkHttpClient;

/**
 * The settings every HTTP model client shares: where to connect, the key, extra headers and query
 * parameters, retries and timeouts. Each provider's builder extends it with its own options; the
 * constructor is package-private, so only this package's providers do.
 *
 * @param <B> the provider's builder, returned by every setter so calls chain
 */
public abstract class HttpModelBuilder<B extends HttpModelBuilder<B>> {
  final HttpSettings settings;

  HttpModelBuilder(String defaultBaseUrl) {
    this.settings = new HttpSettings(defaultBaseUrl);
  }

  abstract B self();

  /** Builds the client; the builder's settings are copied, so the builder can be reused. */
  public abstract ModelClient build();

  /** The model name sent in each request, such as {@code claude-sonnet-4-5}, {@code gpt-4.1} or {@code llama3.1:8b}. Required. */
  public B model(String model) {
    settings.model = Objects.requireNonNull(model, "model == null");
    return self();
  }

  /** The API root; the provider's path is resolved against it. Default: the provider's own API. */
  public B baseUrl(String baseUrl) {
    settings.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl == null");
    return self();
  }

  /** The API key; local servers such as Ollama need none. */
  public B apiKey(String apiKey) {
    settings.apiKey = Objects.requireNonNull(apiKey, "apiKey == null");
    return self();
  }

  /** An extra header on every request, such as {@code anthropic-beta}, {@code OpenAI-Organization} or OpenRouter's {@code HTTP-Referer}. */
  public B header(String name, String value) {
    settings.headers.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
    return self();
  }

  /** An extra query parameter on every request, such as Azure's {@code api-version}. */
  public B queryParameter(String name, String value) {
    settings.queryParameters.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
    return self();
  }

  /**
   * How a failed request is tried again while nothing of the turn reached the caller ({@link
   * RetryPolicy#NONE} = never); default 4 attempts (3 retries), 500 ms doubling up to 20 s, jitter
   * 0.5. A server's retry hint replaces the backoff; see {@link #maxRetryAfter}.
   */
  public B retryPolicy(RetryPolicy retryPolicy) {
    settings.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy == null");
    return self();
  }

  /**
   * The longest {@code retry-after-ms} / {@code retry-after} hint that is waited for; a longer one
   * reports the error at once instead of blocking the turn; default 60 s.
   */
  public B maxRetryAfter(Duration maxRetryAfter) {
    settings.maxRetryAfter = HttpSettings.notNegative(maxRetryAfter, "maxRetryAfter");
    return self();
  }

  /** How long the stream may stay silent before it is abandoned; default 120 s. */
  public B idleTimeout(Duration timeout) {
    settings.idleTimeout = HttpSettings.positive(timeout, "timeout");
    return self();
  }

  /** How long connecting may take; default 15 s. */
  public B connectTimeout(Duration timeout) {
    settings.connectTimeout = HttpSettings.positive(timeout, "timeout");
    return self();
  }

  /** The longest line or event accepted from the stream; default 16 MiB. */
  public B maxLineBytes(long bytes) {
    if (bytes < 1024) {
      throw new IllegalArgumentException("bytes must be >= 1024");
    }
    settings.maxLineBytes = bytes;
    return self();
  }

  /** A client to share connection pools and dispatchers with; its timeouts are overridden by this builder's. */
  public B okHttpClient(OkHttpClient client) {
    settings.okHttpClient = Objects.requireNonNull(client, "client == null");
    return self();
  }

  B sleeper(Sleeper sleeper) {
    settings.sleeper = sleeper;
    return self();
  }

  B clock(Clock clock) {
    settings.clock = clock;
    return self();
  }

  B random(RandomGenerator random) {
    settings.random = random;
    return self();
  }
}
