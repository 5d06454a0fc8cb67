package io.chatbuilder.core.model;

/**
 * Tokens a model turn (or a whole run, summed) consumed.
 *
 * @param inputTokens every input token, cached or not (so counts compare across providers)
 * @param outputTokens output tokens, reasoning included
 * @param cacheReadTokens the part of {@code inputTokens} read from the provider's prompt cache
 * @param cacheWriteTokens the part of {@code inputTokens} written to the provider's prompt cache
 */
public record Usage(long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens) {
  public static final Usage ZERO = new Usage(0, 0);

  public Usage {
    if (inputTokens < 0 || outputTokens < 0 || cacheReadTokens < 0 || cacheWriteTokens < 0) {
      throw new IllegalArgumentException("token counts must be >= 0");
    }
  }

  /** Usage without prompt-cache counts. */
  public Usage(long inputTokens, long outputTokens) {
    this(inputTokens, outputTokens, 0, 0);
  }

  public Usage plus(Usage other) {
    return new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens,
        cacheReadTokens + other.cacheReadTokens, cacheWriteTokens + other.cacheWriteTokens);
  }

  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}
