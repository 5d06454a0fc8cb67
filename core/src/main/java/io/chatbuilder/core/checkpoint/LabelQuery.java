package io.chatbuilder.core.checkpoint;

import java.util.Objects;

/**
 * A search for checkpoints by label: labels equal to {@code text}, or starting with it. Matching is
 * exact on the label's characters (case-sensitive, after the NFC normalization every label gets).
 */
public record LabelQuery(String text, boolean prefix) {
  /** @throws io.chatbuilder.core.InvalidArgumentException if {@code text} is no valid label (or prefix of one) */
  public LabelQuery {
    Objects.requireNonNull(text, "text == null");
    text = prefix ? CheckpointLabels.checkPrefix(text) : CheckpointLabels.check(text);
  }

  /** Labels equal to {@code label}; it must be a valid label. */
  public static LabelQuery exact(String label) {
    return new LabelQuery(label, false);
  }

  /** Labels that start with {@code prefix} (1 to {@value CheckpointLabels#MAX_LENGTH} characters). */
  public static LabelQuery prefix(String prefix) {
    return new LabelQuery(prefix, true);
  }

  public boolean matches(String label) {
    return prefix ? label.startsWith(text) : label.equals(text);
  }
}
