package io.chatbuilder.core.tool;

import java.util.List;

/** Numbered excerpts of files for tool results and errors, in the form {@code read_file} numbers lines. */
final class Snippets {
  /** Longest excerpt line shown; longer lines are cut with an ellipsis. */
  static final int MAX_LINE_CHARS = 240;

  private Snippets() {}

  /** One numbered line: the 1-based number right-aligned to {@code width}, a tab, the text. */
  static String numbered(int number, int width, String line) {
    String n = Integer.toString(number);
    return " ".repeat(Math.max(0, width - n.length())) + n + "\t" + line;
  }

  /**
   * Lines {@code from} to {@code to} (0-based, exclusive) of {@code lines}, numbered; above
   * {@code maxLines} the middle is left out.
   */
  static String excerpt(List<String> lines, int from, int to, int maxLines) {
    from = Math.max(0, from);
    to = Math.min(lines.size(), to);
    int width = Integer.toString(Math.max(1, to)).length();
    StringBuilder out = new StringBuilder();
    int count = to - from;
    int head = count > maxLines ? maxLines / 2 : count;
    int tail = count > maxLines ? maxLines - head - 1 : 0;
    for (int i = from; i < from + head; i++) {
      out.append(numbered(i + 1, width, cut(lines.get(i)))).append('\n');
    }
    if (count > maxLines) {
      out.append(" ".repeat(width)).append("\t… ").append(count - head - tail).append(" more lines …\n");
      for (int i = to - tail; i < to; i++) {
        out.append(numbered(i + 1, width, cut(lines.get(i)))).append('\n');
      }
    }
    return out.toString();
  }

  static String cut(String line) {
    return line.length() <= MAX_LINE_CHARS ? line : line.substring(0, MAX_LINE_CHARS) + "…";
  }

  /** 1-based line number of a character offset. */
  static int lineOf(String text, int offset) {
    int line = 1;
    for (int i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
    }
    return line;
  }

  /** The lines of {@code text} without the empty piece after a final newline; none for {@code ""}. */
  static List<String> lines(String text) {
    if (text.isEmpty()) {
      return List.of();
    }
    List<String> all = TextDocument.splitLines(text);
    return text.endsWith("\n") ? all.subList(0, all.size() - 1) : all;
  }

  /**
   * The changed line range between two texts: {@code [first, beforeEnd)} in {@code before} and
   * {@code [first, afterEnd)} in {@code after}, 0-based, after trimming the common prefix and
   * suffix lines.
   */
  record Change(int first, int beforeEnd, int afterEnd) {}

  static Change change(List<String> before, List<String> after) {
    int first = 0;
    while (first < before.size() && first < after.size() && before.get(first).equals(after.get(first))) {
      first++;
    }
    int suffix = 0;
    while (suffix < before.size() - first && suffix < after.size() - first
        && before.get(before.size() - 1 - suffix).equals(after.get(after.size() - 1 - suffix))) {
      suffix++;
    }
    return new Change(first, before.size() - suffix, after.size() - suffix);
  }

  /** "lines 12-18", "line 12", or for nothing left "after line 11". */
  static String range(int first, int end) {
    if (end <= first) {
      return first == 0 ? "at the start" : "after line " + first;
    }
    return end - first == 1 ? "line " + (first + 1) : "lines " + (first + 1) + "-" + end;
  }
}
