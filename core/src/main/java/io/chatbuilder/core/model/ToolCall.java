package io.chatbuilder.core.model;

import java.util.Objects;

/**
 * A tool call the model asked for.
 *
 * @param id the provider's call id; tool results refer back to it
 * @param arguments the raw JSON argument text exactly as the model produced it (it may be invalid;
 *     the agent loop validates it)
 */
public record ToolCall(String id, String name, String arguments) {
  public ToolCall {
    Objects.requireNonNull(id, "id == null");
    Objects.requireNonNull(name, "name == null");
    Objects.requireNonNull(arguments, "arguments == null");
  }
}
