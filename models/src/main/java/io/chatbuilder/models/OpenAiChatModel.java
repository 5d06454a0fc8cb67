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

  /**
   * Configures an {@link OpenAiChatModel}. Only {@link #model} is required; requests go to {@code
   * baseUrl + "/" + chatCompletionsPath} ({@code https://api.openai.com/v1/chat/completions} by default).
   */
  public static final class Builder extends HttpModelBuilder<Builder> {
    private String path = "chat/completions";
    private String apiKeyHeader = "Authorization";
    private String maxTokensParameter = "max_tokens";
    private OptionalInt defaultMaxOutputTokens = OptionalInt.empty();
    private boolean includeUsage = true;

    private Builder() {
      super(OPENAI_BASE_URL);
    }

    @Override
    Builder self() {
      return this;
    }

    /** The path under the base URL; default {@code chat/completions}. */
    public Builder chatCompletionsPath(String path) {
      this.path = Objects.requireNonNull(path, "path == null");
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

    @Override
    public OpenAiChatModel build() {
      return new OpenAiChatModel(this);
    }
  }
}
