package io.chatbuilder.core.model;

import java.util.List;
import java.util.Objects;

/** The complete result of one streamed model turn. */
public record ModelResponse(String text, List<ToolCall> toolCalls, FinishReason finishReason, Usage usage) {
  public ModelResponse {
    Objects.requireNonNull(text, "text == null");
    toolCalls = List.copyOf(toolCalls);
    Objects.requireNonNull(finishReason, "finishReason == null");
    Objects.requireNonNull(usage, "usage == null");
  }
}
