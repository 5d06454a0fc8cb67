package io.chatbuilder.models;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.RetryPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/** Connection settings shared by both providers' builders; copied into each client at build time. */
final class HttpSettings {
  /** 3 retries (4 attempts), 500 ms doubling up to 20 s, equal jitter (a random point in the upper half). */
  static final RetryPolicy DEFAULT_RETRY = new RetryPolicy(4, Duration.ofMillis(500), Duration.ofSeconds(20), 0.5);

  String model;
  String baseUrl;
  String apiKey;
  final Map<String, String> headers = new LinkedHashMap<>();
  final Map<String, String> queryParameters = new LinkedHashMap<>();
  RetryPolicy retryPolicy = DEFAULT_RETRY;
  /** The longest server retry hint that is waited for; a longer one reports the error at once. */
  Duration maxRetryAfter = Duration.ofSeconds(60);
  Duration idleTimeout = Duration.ofSeconds(120);
  Duration connectTimeout = Duration.ofSeconds(15);
  long maxLineBytes = 16L * 1024 * 1024;
  OkHttpClient okHttpClient;
  Sleeper sleeper = Sleeper.REAL;
  Clock clock = Clock.systemUTC();
  RandomGenerator random;

  HttpSettings(String defaultBaseUrl) {
    this.baseUrl = defaultBaseUrl;
  }

  static Duration notNegative(Duration d, String name) {
    Objects.requireNonNull(d, name + " == null");
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative");
    }
    return d;
  }

  static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name + " == null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    return d;
  }

  String requireModel() {
    if (model == null || model.isBlank()) {
      throw new InvalidArgumentException("a model name is required");
    }
    return model;
  }

  /** {@code baseUrl} joined with {@code path}, plus the configured query parameters. */
  HttpUrl endpoint(String path) {
    String base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    HttpUrl parsed = HttpUrl.parse(base);
    if (parsed == null) {
      throw new InvalidArgumentException("not an http(s) URL: " + baseUrl);
    }
    HttpUrl resolved = path.isEmpty() ? parsed : parsed.resolve(path);
    if (resolved == null) {
      throw new InvalidArgumentException("cannot resolve path '" + path + "' against " + baseUrl);
    }
    HttpUrl.Builder url = resolved.newBuilder();
    queryParameters.forEach(url::addQueryParameter);
    return url.build();
  }

  OkHttpClient httpClient() {
    OkHttpClient.Builder builder = okHttpClient != null ? okHttpClient.newBuilder() : new OkHttpClient.Builder();
    return builder
        .readTimeout(idleTimeout.toMillis(), TimeUnit.MILLISECONDS) // between two reads: the idle timeout
        .connectTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .writeTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .build();
  }

  Redactor redactor() {
    List<String> secrets = new ArrayList<>();
    secrets.add(apiKey);
    secrets.addAll(headers.values());
    secrets.addAll(queryParameters.values());
    return new Redactor(secrets);
  }

  StreamingEngine engine(WireProtocol protocol) {
    return new StreamingEngine(httpClient(), protocol, retryPolicy, maxRetryAfter, idleTimeout, maxLineBytes,
        redactor(), sleeper, clock, random);
  }
}
