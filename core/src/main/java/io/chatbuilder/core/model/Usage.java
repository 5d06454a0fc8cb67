package io.chatbuilder.core.model;

/** Tokens a model turn (or a whole run, summed) consumed. */
public record Usage(long inputTokens, long outputTokens) {
  public static final Usage ZERO = new Usage(0, 0);

  public Usage {
    if (inputTokens < 0 || outputTokens < 0) {
      throw new IllegalArgumentException("token counts must be >= 0");
    }
  }

  public Usage plus(Usage other) {
    return new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens);
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}
