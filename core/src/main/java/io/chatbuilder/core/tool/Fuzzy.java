package io.chatbuilder.core.tool;

import java.util.ArrayList;
import java.util.List;

/**
 * The matching cascade shared by {@code edit_file} and {@code apply_patch}: what the model quotes
 * from a file is looked for exactly, then with trailing whitespace ignored per line, then with
 * leading and trailing whitespace ignored per line, then with Unicode punctuation (curly quotes,
 * dashes, odd spaces, the ellipsis) folded to ASCII. These are the levels of Codex's
 * {@code seek_sequence}; the first level that finds the text wins.
 */
final class Fuzzy {
  private Fuzzy() {}

  enum Level {
    EXACT(""),
    TRAILING_WHITESPACE("ignoring trailing whitespace"),
    INDENTATION("ignoring indentation; the new text was re-indented to the file's"),
    UNICODE("ignoring whitespace and Unicode punctuation (curly quotes, dashes, special spaces)");

    private final String description;

    Level(String description) {
      this.description = description;
    }

    /** How the match was made, for the tool result; empty for an exact match. */
    String description() {
      return description;
    }

    static final List<Level> CASCADE = List.of(values());
    static final List<Level> FUZZY = List.of(TRAILING_WHITESPACE, INDENTATION, UNICODE);
  }

  static String normalize(String line, Level level) {
    return switch (level) {
      case EXACT -> line;
      case TRAILING_WHITESPACE -> line.stripTrailing();
      case INDENTATION -> line.strip();
      case UNICODE -> foldPunctuation(line).text().strip();
    };
  }

  /**
   * ASCII for the punctuation that typography and keyboards swap in: the same code points as
   * Codex's normalization plus the ellipsis. Every other character maps to itself.
   */
  static String fold(char c) {
    return switch (c) {
      case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212' -> "-";
      case '\u2018', '\u2019', '\u201A', '\u201B' -> "'";
      case '\u201C', '\u201D', '\u201E', '\u201F' -> "\"";
      case '\u00A0', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A',
          '\u202F', '\u205F', '\u3000' -> " ";
      case '\u2026' -> "...";
      default -> null;
    };
  }

  /** Whether {@link #fold} changes anything in {@code s}. */
  static boolean hasFoldable(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (fold(s.charAt(i)) != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code text} with punctuation folded, and for every folded character the range of source
   * characters it came from ({@code from[i]} inclusive to {@code to[i]} exclusive), so a match in
   * the folded text maps back to the file.
   */
  record Folded(String text, int[] from, int[] to) {}

  static Folded foldPunctuation(String s) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    int[] from = new int[s.length() * 3 + 1];
    int[] to = new int[s.length() * 3 + 1];
    for (int i = 0; i < s.length(); i++) {
      String f = fold(s.charAt(i));
      String piece = f == null ? String.valueOf(s.charAt(i)) : f;
      for (int j = 0; j < piece.length(); j++) {
        from[out.length()] = i;
        to[out.length()] = i + 1;
        out.append(piece.charAt(j));
      }
    }
    int n = out.length();
    return new Folded(out.toString(), java.util.Arrays.copyOf(from, n), java.util.Arrays.copyOf(to, n));
  }

  /** File lines normalized for one level, computed once per search. */
  static List<String> normalizeAll(List<String> lines, Level level) {
    List<String> out = new ArrayList<>(lines.size());
    for (String l : lines) {
      out.add(normalize(l, level));
    }
    return out;
  }

  /**
   * Every start index at or after {@code from} where {@code pattern} matches {@code lines} line by
   * line, overlapping matches included (a pattern that matches twice in a row is ambiguous).
   * {@code normalizedLines} are {@code lines} normalized for the level.
   */
  static List<Integer> findAll(List<String> normalizedLines, List<String> pattern, int from, Level level) {
    List<Integer> found = new ArrayList<>();
    int k = pattern.size();
    if (k == 0 || k > normalizedLines.size()) {
      return found;
    }
    List<String> p = normalizeAll(pattern, level);
    for (int i = Math.max(0, from); i + k <= normalizedLines.size(); i++) {
      boolean ok = true;
      for (int j = 0; j < k && ok; j++) {
        ok = normalizedLines.get(i + j).equals(p.get(j));
      }
      if (ok) {
        found.add(i);
      }
    }
    return found;
  }

  /** Whether a pattern has something to anchor a whitespace-tolerant match (not only blank lines). */
  static boolean hasContent(List<String> pattern) {
    for (String l : pattern) {
      if (!l.isBlank()) {
        return true;
      }
    }
    return false;
  }
}
