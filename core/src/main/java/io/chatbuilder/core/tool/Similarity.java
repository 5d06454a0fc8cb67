package io.chatbuilder.core.tool;

import java.util.Arrays;
import java.util.List;

/**
 * How alike two lines are (Dice coefficient over character bigrams of the normalized lines), and
 * the region of a file most like a quoted text, for "not found" errors the model can act on.
 */
final class Similarity {
  /** Above this many line comparisons the closest-region search samples window starts. */
  static final long MAX_COMPARISONS = 3_000_000L;

  private Similarity() {}

  static double lines(String a, String b) {
    return dice(bigrams(Fuzzy.normalize(a, Fuzzy.Level.UNICODE)), bigrams(Fuzzy.normalize(b, Fuzzy.Level.UNICODE)));
  }

  static int[] bigrams(String s) {
    if (s.length() < 2) {
      return s.isEmpty() ? new int[0] : new int[] {s.charAt(0) << 16};
    }
    int[] out = new int[s.length() - 1];
    for (int i = 0; i + 1 < s.length(); i++) {
      out[i] = (s.charAt(i) << 16) | s.charAt(i + 1);
    }
    Arrays.sort(out);
    return out;
  }

  static double dice(int[] a, int[] b) {
    if (a.length == 0 && b.length == 0) {
      return 1.0;
    }
    if (a.length == 0 || b.length == 0) {
      return 0.0;
    }
    int i = 0;
    int j = 0;
    int common = 0;
    while (i < a.length && j < b.length) {
      if (a[i] == b[j]) {
        common++;
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    return 2.0 * common / (a.length + b.length);
  }

  /** A window of the file: first line index, line count, and the mean line similarity. */
  record Region(int start, int length, double score) {}

  /**
   * The window of {@code pattern.size()} lines of {@code fileLines} most like {@code pattern},
   * or empty if the file is empty.
   */
  static java.util.Optional<Region> closest(List<String> fileLines, List<String> pattern) {
    int k = Math.max(1, Math.min(pattern.size(), fileLines.size()));
    if (fileLines.isEmpty() || pattern.isEmpty()) {
      return java.util.Optional.empty();
    }
    int[][] file = new int[fileLines.size()][];
    for (int i = 0; i < file.length; i++) {
      file[i] = bigrams(Fuzzy.normalize(fileLines.get(i), Fuzzy.Level.UNICODE));
    }
    int[][] pat = new int[k][];
    for (int j = 0; j < k; j++) {
      pat[j] = bigrams(Fuzzy.normalize(pattern.get(j), Fuzzy.Level.UNICODE));
    }
    int windows = fileLines.size() - k + 1;
    long cost = (long) windows * k;
    int step = (int) Math.max(1, cost / MAX_COMPARISONS);
    Region best = null;
    for (int i = 0; i < windows; i += step) {
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += dice(file[i + j], pat[j]);
      }
      double score = sum / k;
      if (best == null || score > best.score() + 1e-9) {
        best = new Region(i, k, score);
      }
    }
    return java.util.Optional.ofNullable(best);
  }
}
