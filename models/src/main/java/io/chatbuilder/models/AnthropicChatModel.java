package io.chatbuilder.models;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import okhttp3.OkHttpClient;

/**
 * A {@link ModelClient} for the Anthropic Messages API with streaming and tool use.
 *
 * <pre>{@code
 * ModelClient model = AnthropicChatModel.builder()
 *     .apiKey(System.getenv("ANTHROPIC_API_KEY"))
 *     .model("claude-sonnet-4-5")
 *     .build();
 * }</pre>
 *
 * Thread-safe; share one instance. The API key is sent only in {@code x-api-key} and never appears
 * in logs, events, exceptions or {@link #toString()}.
 */
public final class AnthropicChatModel implements ModelClient {
  /** The default base URL, Anthropic's own API. */
  public static final String ANTHROPIC_BASE_URL = "https://api.anthropic.com/";

  private final String name;
  private final StreamingEngine engine;

  private AnthropicChatModel(Builder b) {
    String model = b.settings.requireModel();
    this.name = "anthropic:" + model;
    AnthropicProtocol protocol = new AnthropicProtocol(b.settings.endpoint(b.path), model, b.settings.apiKey, b.version,
        b.settings.headers, b.defaultMaxOutputTokens);
    this.engine = b.settings.engine(protocol);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ModelResponse stream(ModelRequest request, ModelStreamListener listener, Cancellation cancellation) {
    return engine.stream(request, listener, cancellation);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return "AnthropicChatModel{" + name + "}";
  }

  /** Configures an {@link AnthropicChatModel}. {@link #model} is required, and so is {@link #apiKey} for Anthropic's own API. */
  public static final class Builder {
    private final HttpSettings settings = new HttpSettings(ANTHROPIC_BASE_URL);
    private String path = "v1/messages";
    private String version = "2023-06-01";
    private int defaultMaxOutputTokens = 8192;

    private Builder() {}

    public Builder model(String model) {
      settings.model = Objects.requireNonNull(model, "model == null");
      return this;
    }

    /** The API root; the request goes to {@code baseUrl + "/v1/messages"}. */
    public Builder baseUrl(String baseUrl) {
      settings.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl == null");
      return this;
    }

    /** The path under the base URL; default {@code v1/messages}. */
    public Builder messagesPath(String path) {
      this.path = Objects.requireNonNull(path, "path == null");
      return this;
    }

    public Builder apiKey(String apiKey) {
      settings.apiKey = Objects.requireNonNull(apiKey, "apiKey == null");
      return this;
    }

    /** The {@code anthropic-version} header; default {@code 2023-06-01}. */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version == null");
      return this;
    }

    /** An extra header on every request, such as {@code anthropic-beta}. */
    public Builder header(String name, String value) {
      settings.headers.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    public Builder queryParameter(String name, String value) {
      settings.queryParameters.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    /** {@code max_tokens} when a request sets none (the API requires one); default 8192. */
    public Builder defaultMaxOutputTokens(int tokens) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("tokens must be positive");
      }
      this.defaultMaxOutputTokens = tokens;
      return this;
    }

    public Builder retryPolicy(RetryPolicy retryPolicy) {
      settings.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy == null");
      return this;
    }

    /** How long the stream may stay silent before it is abandoned; default 120 s. */
    public Builder idleTimeout(Duration timeout) {
      settings.idleTimeout = HttpSettings.positive(timeout, "timeout");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      settings.connectTimeout = HttpSettings.positive(timeout, "timeout");
      return this;
    }

    /** The longest line or event accepted from the stream; default 16 MiB. */
    public Builder maxLineBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("bytes must be >= 1024");
      }
      settings.maxLineBytes = bytes;
      return this;
    }

    /** A client to share connection pools and dispatchers with; its timeouts are overridden by this builder's. */
    public Builder okHttpClient(OkHttpClient client) {
      settings.okHttpClient = Objects.requireNonNull(client, "client == null");
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      settings.sleeper = sleeper;
      return this;
    }

    Builder clock(Clock clock) {
      settings.clock = clock;
      return this;
    }

    Builder random(DoubleSupplier random) {
      settings.random = random;
      return this;
    }

    public AnthropicChatModel build() {
      return new AnthropicChatModel(this);
    }
  }
}
