package io.chatbuilder.core.model;

import java.util.List;
import java.util.Objects;

/**
 * The complete result of one streamed model turn.
 *
 * @param reasoning what the model reasoned before or while it answered, in order; never part of
 *     {@code text}
 */
public record ModelResponse(String text, List<ToolCall> toolCalls, FinishReason finishReason, Usage usage,
    List<Reasoning> reasoning) {
  public ModelResponse {
    Objects.requireNonNull(text, "text == null");
    toolCalls = List.copyOf(toolCalls);
    Objects.requireNonNull(finishReason, "finishReason == null");
    Objects.requireNonNull(usage, "usage == null");
    reasoning = List.copyOf(reasoning);
  }

  /** A turn without reasoning. */
  public ModelResponse(String text, List<ToolCall> toolCalls, FinishReason finishReason, Usage usage) {
    this(text, toolCalls, finishReason, usage, List.of());
  }
}
