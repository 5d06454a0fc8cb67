package io.chatbuilder.core.model;

/** Why a model turn ended. */
public enum FinishReason {
  /** The model finished its answer. */
  STOP,
  /** The model wants tool results before it continues. */
  TOOL_CALLS,
  /** The output token limit cut the turn off; partial tool arguments must not be run. */
  LENGTH,
  /** The provider filtered the output. */
  CONTENT_FILTER,
  /** Anything else a provider reports. */
  OTHER
}
