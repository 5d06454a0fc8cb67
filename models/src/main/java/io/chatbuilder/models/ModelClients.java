package io.chatbuilder.models;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.model.ModelClient;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds a model client from environment variables, for demos and command-line tools.
 *
 * <ul>
 *   <li>{@code CHATBUILDER_PROVIDER}: {@code anthropic} or {@code openai}; when absent, Anthropic if
 *       {@code ANTHROPIC_API_KEY} is set, else OpenAI-compatible if {@code OPENAI_API_KEY} or
 *       {@code OPENAI_BASE_URL} is set, else none.
 *   <li>{@code CHATBUILDER_MODEL}: the model name (defaults: {@value #DEFAULT_ANTHROPIC_MODEL},
 *       {@value #DEFAULT_OPENAI_MODEL}).
 *   <li>{@code ANTHROPIC_API_KEY}, {@code ANTHROPIC_BASE_URL}, {@code OPENAI_API_KEY},
 *       {@code OPENAI_BASE_URL} (e.g. {@code http://localhost:11434/v1} for Ollama).
 * </ul>
 */
public final class ModelClients {
  public static final String DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5";
  public static final String DEFAULT_OPENAI_MODEL = "gpt-4.1-mini";

  private ModelClients() {}

  /** Reads {@link System#getenv()}. */
  public static Optional<ModelClient> fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * A client configured by {@code env}, or empty when no provider is configured.
   *
   * @throws InvalidArgumentException if {@code CHATBUILDER_PROVIDER} names an unknown provider
   */
  public static Optional<ModelClient> fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env == null");
    String provider = value(env, "CHATBUILDER_PROVIDER").map(String::toLowerCase).orElse(null);
    if (provider == null) {
      if (value(env, "ANTHROPIC_API_KEY").isPresent()) {
        provider = "anthropic";
      } else if (value(env, "OPENAI_API_KEY").isPresent() || value(env, "OPENAI_BASE_URL").isPresent()) {
        provider = "openai";
      } else {
        return Optional.empty();
      }
    }
    Optional<String> model = value(env, "CHATBUILDER_MODEL");
    switch (provider) {
      case "anthropic" -> {
        AnthropicChatModel.Builder b = AnthropicChatModel.builder().model(model.orElse(DEFAULT_ANTHROPIC_MODEL));
        value(env, "ANTHROPIC_API_KEY").ifPresent(b::apiKey);
        value(env, "ANTHROPIC_BASE_URL").ifPresent(b::baseUrl);
        return Optional.of(b.build());
      }
      case "openai" -> {
        OpenAiChatModel.Builder b = OpenAiChatModel.builder().model(model.orElse(DEFAULT_OPENAI_MODEL));
        value(env, "OPENAI_API_KEY").ifPresent(b::apiKey);
        value(env, "OPENAI_BASE_URL").ifPresent(b::baseUrl);
        return Optional.of(b.build());
      }
      default -> throw new InvalidArgumentException("CHATBUILDER_PROVIDER must be 'anthropic' or 'openai', not '" + provider + "'");
    }
  }

  private static Optional<String> value(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
  }
}
