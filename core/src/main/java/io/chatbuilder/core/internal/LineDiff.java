package io.chatbuilder.core.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Line diffs for change stats and unified diff text. Trims the common prefix and suffix (edits are
 * usually local), then runs an LCS over the middle when it is small enough; a huge middle is
 * reported as all lines replaced, which keeps the cost bounded for generated or minified files.
 * Not API.
 */
public final class LineDiff {
  /** Above this many cells (middle lines a × b) the LCS is skipped. */
  static final long MAX_CELLS = 4_000_000L;

  private LineDiff() {}

  /** One line of an edit script. */
  public record Edit(char op, String line) {}

  public static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    if (text.isEmpty()) {
      return out;
    }
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        out.add(text.substring(start, i));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      out.add(text.substring(start));
    }
    return out;
  }

  /** The edit script turning {@code a} into {@code b}: ' ' kept, '-' removed, '+' added. */
  public static List<Edit> edits(List<String> a, List<String> b) {
    int prefix = 0;
    while (prefix < a.size() && prefix < b.size() && a.get(prefix).equals(b.get(prefix))) {
      prefix++;
    }
    int suffix = 0;
    while (suffix < a.size() - prefix && suffix < b.size() - prefix
        && a.get(a.size() - 1 - suffix).equals(b.get(b.size() - 1 - suffix))) {
      suffix++;
    }
    List<Edit> out = new ArrayList<>(a.size() + b.size());
    for (int i = 0; i < prefix; i++) {
      out.add(new Edit(' ', a.get(i)));
    }
    List<String> ma = a.subList(prefix, a.size() - suffix);
    List<String> mb = b.subList(prefix, b.size() - suffix);
    if ((long) ma.size() * mb.size() <= MAX_CELLS) {
      lcs(ma, mb, out);
    } else {
      ma.forEach(l -> out.add(new Edit('-', l)));
      mb.forEach(l -> out.add(new Edit('+', l)));
    }
    for (int i = a.size() - suffix; i < a.size(); i++) {
      out.add(new Edit(' ', a.get(i)));
    }
    return out;
  }

  private static void lcs(List<String> a, List<String> b, List<Edit> out) {
    int n = a.size();
    int m = b.size();
    if (n == 0 || m == 0) {
      a.forEach(l -> out.add(new Edit('-', l)));
      b.forEach(l -> out.add(new Edit('+', l)));
      return;
    }
    int[][] len = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        len[i][j] = a.get(i).equals(b.get(j)) ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
      }
    }
    int i = 0;
    int j = 0;
    while (i < n && j < m) {
      if (a.get(i).equals(b.get(j))) {
        out.add(new Edit(' ', a.get(i)));
        i++;
        j++;
      } else if (len[i + 1][j] >= len[i][j + 1]) {
        out.add(new Edit('-', a.get(i++)));
      } else {
        out.add(new Edit('+', b.get(j++)));
      }
    }
    while (i < n) {
      out.add(new Edit('-', a.get(i++)));
    }
    while (j < m) {
      out.add(new Edit('+', b.get(j++)));
    }
  }

  /** Lines added and removed: {@code [added, removed]}. */
  public static int[] counts(String before, String after) {
    int added = 0;
    int removed = 0;
    for (Edit e : edits(lines(before), lines(after))) {
      if (e.op == '+') {
        added++;
      } else if (e.op == '-') {
        removed++;
      }
    }
    return new int[] {added, removed};
  }

  /** A unified diff ({@code diff -u} style, {@code context} lines around each hunk); empty if equal. */
  public static String unified(String fromName, String toName, String before, String after, int context) {
    List<Edit> edits = edits(lines(before), lines(after));
    boolean changed = edits.stream().anyMatch(e -> e.op != ' ');
    if (!changed) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    out.append("--- ").append(fromName).append('\n').append("+++ ").append(toName).append('\n');
    int idx = 0;
    int aLine = 1;
    int bLine = 1;
    while (idx < edits.size()) {
      // find next change
      int next = idx;
      int skipA = 0;
      int skipB = 0;
      while (next < edits.size() && edits.get(next).op == ' ') {
        next++;
      }
      if (next >= edits.size()) {
        break;
      }
      int start = Math.max(idx, next - context);
      for (int k = idx; k < start; k++) {
        skipA++;
        skipB++;
      }
      aLine += skipA;
      bLine += skipB;
      // extend hunk until a run of more than 2*context unchanged lines
      int end = next;
      int lastChange = next;
      while (end < edits.size()) {
        if (edits.get(end).op != ' ') {
          lastChange = end;
        } else if (end - lastChange > 2 * context) {
          break;
        }
        end++;
      }
      int stop = Math.min(edits.size(), lastChange + context + 1);
      int aCount = 0;
      int bCount = 0;
      StringBuilder body = new StringBuilder();
      for (int k = start; k < stop; k++) {
        Edit e = edits.get(k);
        body.append(e.op).append(e.line).append('\n');
        if (e.op != '+') {
          aCount++;
        }
        if (e.op != '-') {
          bCount++;
        }
      }
      out.append("@@ -").append(aCount == 0 ? aLine - 1 : aLine).append(',').append(aCount)
          .append(" +").append(bCount == 0 ? bLine - 1 : bLine).append(',').append(bCount).append(" @@\n");
      out.append(body);
      aLine += aCount;
      bLine += bCount;
      idx = stop;
    }
    return out.toString();
  }
}
