package io.chatbuilder.core.checkpoint;

import io.chatbuilder.core.InvalidArgumentException;
import java.text.Normalizer;
import java.util.Objects;

/**
 * The rules for checkpoint labels: short, user-chosen names on checkpoints ("v1", "before redesign",
 * "release/2026-12") that a person can list and search, distinct from {@link Checkpoint#label()}
 * (the description the SDK writes). Labels are metadata: adding or removing one never rewrites a
 * checkpoint or the history.
 *
 * <p>A label is NFC-normalized, then must be 1 to {@value #MAX_LENGTH} characters of letters,
 * digits, space and {@code . _ - / : # + @}, start with a letter or digit and not end with a
 * space; no two spaces in a row. A checkpoint has at most {@value #MAX_PER_CHECKPOINT} labels.
 * <b>Bookmarks</b> are the label {@value #BOOKMARK}.
 */
public final class CheckpointLabels {
  public static final int MAX_LENGTH = 64;
  public static final int MAX_PER_CHECKPOINT = 16;
  /** The label that marks a checkpoint as bookmarked. */
  public static final String BOOKMARK = "bookmark";

  private CheckpointLabels() {}

  /**
   * The normalized form of {@code label}.
   *
   * @throws InvalidArgumentException naming what is wrong with it
   */
  public static String check(String label) {
    String normalized = normalize(label, "label");
    if (normalized.endsWith(" ")) {
      throw new InvalidArgumentException("label '" + normalized + "' ends with a space");
    }
    return normalized;
  }

  /** The normalized form of a search prefix; it may end with a space. */
  static String checkPrefix(String prefix) {
    return normalize(prefix, "label prefix");
  }

  private static String normalize(String raw, String what) {
    Objects.requireNonNull(raw, what + " == null");
    if (raw.isEmpty()) {
      throw new InvalidArgumentException(what + " is empty");
    }
    if (raw.length() > 4 * MAX_LENGTH) {
      throw new InvalidArgumentException(what + " is " + raw.length() + " characters long; at most " + MAX_LENGTH);
    }
    String s = Normalizer.normalize(raw, Normalizer.Form.NFC);
    int length = s.codePointCount(0, s.length());
    if (length > MAX_LENGTH) {
      throw new InvalidArgumentException(what + " is " + length + " characters long; at most " + MAX_LENGTH);
    }
    int first = s.codePointAt(0);
    if (!Character.isLetterOrDigit(first)) {
      throw new InvalidArgumentException(what + " must start with a letter or digit, not " + describe(first));
    }
    int previous = 0;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      if (!(Character.isLetterOrDigit(c) || c == ' ' || ".-_/:#+@".indexOf(c) >= 0)) {
        throw new InvalidArgumentException(what + " contains " + describe(c)
            + "; use letters, digits, space and . _ - / : # + @");
      }
      if (c == ' ' && previous == ' ') {
        throw new InvalidArgumentException(what + " contains two spaces in a row");
      }
      previous = c;
      i += Character.charCount(c);
    }
    return s;
  }

  private static String describe(int c) {
    return Character.isISOControl(c) || Character.isWhitespace(c) || !Character.isDefined(c)
        ? String.format("U+%04X", c) : "'" + new String(Character.toChars(c)) + "' (U+" + String.format("%04X", c) + ")";
  }
}
