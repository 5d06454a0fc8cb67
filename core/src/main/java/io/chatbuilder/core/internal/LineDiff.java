package io.chatbuilder.core.internal;

import com.github.difflib.algorithm.Change;
import com.github.difflib.algorithm.DiffAlgorithmListener;
import com.github.difflib.algorithm.myers.MyersDiff;
import java.util.ArrayList;
import java.util.List;

/**
 * Line diffs for change stats and unified diff text. Trims the common prefix and suffix (edits are
 * usually local), then runs Myers' O(ND) algorithm (java-diff-utils) over the middle, so a large
 * file with a few scattered edits diffs as those edits. The work is bounded by the number of
 * differences: past {@link #MAX_DIFFERENCES} the middle is reported as all lines replaced, which
 * keeps the cost bounded for generated or minified files. Not API.
 *
 * <p>Why java-diff-utils: the hand-written LCS this replaced needed (a × b) cells, so it gave up on
 * any middle over 2,000 × 2,000 lines and reported a 3,000-line file with two edits 2,900 lines apart
 * as 2,900 lines replaced ({@code LineDiffTest} pins the difference).
 */
public final class LineDiff {
  /** Above this many differing lines Myers' search stops and the middle counts as replaced. */
  static final int MAX_DIFFERENCES = 1_000;

  private static final MyersDiff<String> MYERS = new MyersDiff<>();

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
    middle(ma, mb, out);
    for (int i = a.size() - suffix; i < a.size(); i++) {
      out.add(new Edit(' ', a.get(i)));
    }
    return out;
  }

  private static void middle(List<String> a, List<String> b, List<Edit> out) {
    List<Change> changes;
    try {
      changes = a.isEmpty() || b.isEmpty() ? null : MYERS.computeDiff(a, b, new Budget());
    } catch (Budget.Exceeded e) {
      changes = null;
    }
    if (changes == null) {
      a.forEach(l -> out.add(new Edit('-', l)));
      b.forEach(l -> out.add(new Edit('+', l)));
      return;
    }
    // Myers' path is walked back from the end: the changes come last first.
    changes = new ArrayList<>(changes);
    changes.sort(java.util.Comparator.comparingInt((Change c) -> c.startOriginal).thenComparingInt(c -> c.startRevised));
    int i = 0;
    for (Change c : changes) {
      for (; i < c.startOriginal; i++) {
        out.add(new Edit(' ', a.get(i)));
      }
      for (int k = c.startOriginal; k < c.endOriginal; k++) {
        out.add(new Edit('-', a.get(k)));
      }
      for (int k = c.startRevised; k < c.endRevised; k++) {
        out.add(new Edit('+', b.get(k)));
      }
      i = c.endOriginal;
    }
    for (; i < a.size(); i++) {
      out.add(new Edit(' ', a.get(i)));
    }
  }

  /** Stops Myers' search once it has looked for more than {@link #MAX_DIFFERENCES} differences. */
  private static final class Budget implements DiffAlgorithmListener {
    static final class Exceeded extends RuntimeException {
      private static final long serialVersionUID = 1L;

      Exceeded() {
        super(null, null, false, false);
      }
    }

    @Override
    public void diffStart() {}

    @Override
    public void diffStep(int value, int max) {
      if (value > MAX_DIFFERENCES) {
        throw new Exceeded();
      }
    }

    @Override
    public void diffEnd() {}
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
