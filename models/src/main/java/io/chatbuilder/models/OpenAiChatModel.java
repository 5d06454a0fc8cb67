package io.chatbuilder.models;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.random.RandomGenerator;
import okhttp3.OkHttpClient;

/**
 * A {@link ModelClient} for the OpenAI Chat Completions API with streaming and tool calls, and for
 * any server that speaks it: Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter, Azure OpenAI.
 *
 * <pre>{@code
 * ModelClient model = OpenAiChatModel.builder()
 *     .baseUrl("http://localhost:11434/v1")   // Ollama; default is https://api.openai.com/v1
 *     .model("qwen2.5-coder:7b")
 *     .build();
 *
 * // Azure OpenAI: deployment path, api-version query, api-key header
 * ModelClient azure = OpenAiChatModel.builder()
 *     .baseUrl("https://my-resource.openai.azure.com/openai/deployments/my-deployment")
 *     .queryParameter("api-version", "2024-10-21")
 *     .apiKeyHeader("api-key")
 *     .apiKey(key)
 *     .model("gpt-4.1")
 *     .build();
 * }</pre>
 *
 * Thread-safe; share one instance. The API key is sent only in its header and never appears in
 * logs, events, exceptions or {@link #toString()}.
 */
public final class OpenAiChatModel implements ModelClient {
  /** The default base URL, OpenAI's own API. */
  public static final String OPENAI_BASE_URL = "https://api.openai.com/v1/";

  private final String name;
  private final StreamingEngine engine;

  private OpenAiChatModel(Builder b) {
    String model = b.settings.requireModel();
    this.name = "openai:" + model;
    OpenAiProtocol protocol = new OpenAiProtocol(b.settings.endpoint(b.path), model, b.settings.apiKey, b.apiKeyHeader,
        b.settings.headers, b.maxTokensParameter, b.defaultMaxOutputTokens, b.includeUsage);
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
    return "OpenAiChatModel{" + name + "}";
  }

  /** Configures an {@link OpenAiChatModel}. Only {@link #model} is required. */
  public static final class Builder {
    private final HttpSettings settings = new HttpSettings(OPENAI_BASE_URL);
    private String path = "chat/completions";
    private String apiKeyHeader = "Authorization";
    private String maxTokensParameter = "max_tokens";
    private OptionalInt defaultMaxOutputTokens = OptionalInt.empty();
    private boolean includeUsage = true;

    private Builder() {}

    /** The model name sent in each request, such as {@code gpt-4.1} or {@code llama3.1:8b}. */
    public Builder model(String model) {
      settings.model = Objects.requireNonNull(model, "model == null");
      return this;
    }

    /** The API root; the request goes to {@code baseUrl + "/chat/completions"}. */
    public Builder baseUrl(String baseUrl) {
      settings.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl == null");
      return this;
    }

    /** The path under the base URL; default {@code chat/completions}. */
    public Builder chatCompletionsPath(String path) {
      this.path = Objects.requireNonNull(path, "path == null");
      return this;
    }

    /** The API key; local servers such as Ollama need none. */
    public Builder apiKey(String apiKey) {
      settings.apiKey = Objects.requireNonNull(apiKey, "apiKey == null");
      return this;
    }

    /**
     * The header that carries the key: {@code Authorization} (default, sent as {@code Bearer
     * <key>}) or another name such as Azure's {@code api-key} (sent as the bare key).
     */
    public Builder apiKeyHeader(String headerName) {
      this.apiKeyHeader = Objects.requireNonNull(headerName, "headerName == null");
      return this;
    }

    /** An extra header on every request, such as {@code OpenAI-Organization} or OpenRouter's {@code HTTP-Referer}. */
    public Builder header(String name, String value) {
      settings.headers.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    /** An extra query parameter on every request, such as Azure's {@code api-version}. */
    public Builder queryParameter(String name, String value) {
      settings.queryParameters.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    /** {@code max_tokens} (default; the widest support) or {@code max_completion_tokens} (OpenAI reasoning models). */
    public Builder maxTokensParameter(String parameter) {
      this.maxTokensParameter = Objects.requireNonNull(parameter, "parameter == null");
      return this;
    }

    /** Output token limit used when a request sets none; by default no limit is sent. */
    public Builder defaultMaxOutputTokens(int tokens) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("tokens must be positive");
      }
      this.defaultMaxOutputTokens = OptionalInt.of(tokens);
      return this;
    }

    /** Whether to ask for the final usage chunk ({@code stream_options.include_usage}); default true. */
    public Builder includeUsage(boolean includeUsage) {
      this.includeUsage = includeUsage;
      return this;
    }

    /**
     * How a failed request is tried again while nothing of the turn reached the caller ({@link
     * RetryPolicy#NONE} = never); default 4 attempts (3 retries), 500 ms doubling up to 20 s, jitter
     * 0.5. A server's retry hint replaces the backoff; see {@link #maxRetryAfter}.
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      settings.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy == null");
      return this;
    }

    /**
     * The longest {@code retry-after-ms} / {@code retry-after} hint that is waited for; a longer one
     * reports the error at once instead of blocking the turn; default 60 s.
     */
    public Builder maxRetryAfter(Duration maxRetryAfter) {
      settings.maxRetryAfter = HttpSettings.notNegative(maxRetryAfter, "maxRetryAfter");
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

    Builder random(RandomGenerator random) {
      settings.random = random;
      return this;
    }

    public OpenAiChatModel build() {
      return new OpenAiChatModel(this);
    }
  }
}
