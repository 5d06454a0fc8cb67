package io.chatbuilder.core.model;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/** One model turn's input: system prompt, conversation so far, and the tools it may call. */
public record ModelRequest(
    String systemPrompt, List<ChatMessage> messages, List<ToolDefinition> tools, OptionalInt maxOutputTokens) {
  public ModelRequest {
    Objects.requireNonNull(systemPrompt, "systemPrompt == null");
    messages = List.copyOf(messages);
    tools = List.copyOf(tools);
    Objects.requireNonNull(maxOutputTokens, "maxOutputTokens == null");
  }
}
