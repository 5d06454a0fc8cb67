package io.chatbuilder.models;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import java.time.Clock;
import java.time.Duration;
import io.chatbuilder.core.InvalidArgumentException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
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
  /** The beta that streams tool input without buffering each value server-side. */
  public static final String FINE_GRAINED_TOOL_STREAMING = "fine-grained-tool-streaming-2025-05-14";

  private final String name;
  private final StreamingEngine engine;

  private AnthropicChatModel(Builder b) {
    String model = b.settings.requireModel();
    this.name = "anthropic:" + model;
    if (b.thinkingBudget > 0 && b.defaultMaxOutputTokens <= b.thinkingBudget) {
      throw new InvalidArgumentException("defaultMaxOutputTokens (" + b.defaultMaxOutputTokens
          + ") must be larger than the thinking budget (" + b.thinkingBudget + ")");
    }
    Map<String, String> headers = new LinkedHashMap<>(b.settings.headers);
    if (b.fineGrainedToolStreaming) {
      addBeta(headers, FINE_GRAINED_TOOL_STREAMING);
    }
    AnthropicProtocol protocol = new AnthropicProtocol(b.settings.endpoint(b.path), model, b.settings.apiKey, b.version,
        headers, b.defaultMaxOutputTokens, new AnthropicProtocol.Options(b.thinkingBudget, b.promptCaching));
    this.engine = b.settings.engine(protocol);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Adds a beta name to the {@code anthropic-beta} header, keeping any the host set. */
  private static void addBeta(Map<String, String> headers, String beta) {
    for (Map.Entry<String, String> header : headers.entrySet()) {
      if (header.getKey().equalsIgnoreCase("anthropic-beta")) {
        if (!List.of(header.getValue().split("\\s*,\\s*")).contains(beta)) {
          header.setValue(header.getValue() + "," + beta);
        }
        return;
      }
    }
    headers.put("anthropic-beta", beta);
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

  /**
   * Configures an {@link AnthropicChatModel}. {@link #model} is required, and so is {@link #apiKey}
   * for Anthropic's own API; requests go to {@code baseUrl + "/" + messagesPath} ({@code
   * https://api.anthropic.com/v1/messages} by default).
   */
  public static final class Builder extends HttpModelBuilder<Builder> {
    private String path = "v1/messages";
    private String version = "2023-06-01";
    private int defaultMaxOutputTokens = 8192;
    private int thinkingBudget;
    private boolean promptCaching = true;
    private boolean fineGrainedToolStreaming;

    private Builder() {
      super(ANTHROPIC_BASE_URL);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * Turns on extended thinking with this many tokens for it ({@code thinking: {type: enabled,
     * budget_tokens}}); at least 1024, and less than the output token limit. Thinking streams as
     * reasoning, and its signed blocks are kept with the conversation and sent back unchanged.
     */
    public Builder thinking(int budgetTokens) {
      if (budgetTokens < 1024) {
        throw new IllegalArgumentException("the thinking budget must be at least 1024 tokens");
      }
      this.thinkingBudget = budgetTokens;
      return this;
    }

    /**
     * Whether to mark prompt-cache breakpoints ({@code cache_control: {type: ephemeral}}) on the
     * system prompt, the last tool and the conversation so far; default true. Usage then reports
     * cache reads and writes.
     */
    public Builder promptCaching(boolean promptCaching) {
      this.promptCaching = promptCaching;
      return this;
    }

    /**
     * Whether to ask for fine-grained tool streaming (the {@value #FINE_GRAINED_TOOL_STREAMING}
     * beta): tool input streams as the model writes it instead of one whole value at a time, so a
     * file's content shows up live. Default false. The input may then be cut off or invalid; the
     * agent loop validates it once complete.
     */
    public Builder fineGrainedToolStreaming(boolean enabled) {
      this.fineGrainedToolStreaming = enabled;
      return this;
    }

    /** The path under the base URL; default {@code v1/messages}. */
    public Builder messagesPath(String path) {
      this.path = Objects.requireNonNull(path, "path == null");
      return this;
    }

    /** The {@code anthropic-version} header; default {@code 2023-06-01}. */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version == null");
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

    @Override
    public AnthropicChatModel build() {
      return new AnthropicChatModel(this);
    }
  }
}
