package io.chatbuilder.core.model;

/**
 * Receives a model turn while it streams. Called on the thread that called the model, in the order
 * the provider sent things. Only {@link #onTextDelta} must be implemented; the other callbacks
 * default to ignoring what they get, so listeners written for text alone keep working.
 */
@FunctionalInterface
public interface ModelStreamListener {
  /** A chunk of assistant text, in order. */
  void onTextDelta(String text);

  /** A chunk of the model's reasoning (thinking), in order; never part of the answer text. */
  default void onReasoningDelta(String text) {}

  /**
   * The model began a tool call. {@code callId} is the id the finished {@link ToolCall} will carry;
   * its argument text follows in {@link #onToolInputDelta} fragments.
   */
  default void onToolCallStarted(String callId, String toolName) {}

  /**
   * A fragment of a started call's argument text as the model writes it. The fragments of a call
   * concatenate to its argument text (the finished {@link ToolCall} may normalize it, e.g. empty
   * arguments become {@code {}}); until the turn ends they are usually not valid JSON.
   */
  default void onToolInputDelta(String callId, String fragment) {}
}
