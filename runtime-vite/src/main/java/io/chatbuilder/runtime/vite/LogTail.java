package io.chatbuilder.runtime.vite;

import java.util.ArrayDeque;
import java.util.List;
import java.util.regex.Pattern;

/** The last lines of a process's output, bounded in count and line length. Thread-safe. */
final class LogTail {
  /** ANSI escape sequences (colors, cursor moves) some tools print even with NO_COLOR. */
  private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");
  static final int MAX_LINE_CHARS = 2000;

  private final int maxLines;
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private long added;

  LogTail(int maxLines) {
    if (maxLines < 1) {
      throw new IllegalArgumentException("maxLines must be >= 1");
    }
    this.maxLines = maxLines;
  }

  synchronized void add(String line) {
    lines.addLast(clean(line));
    added++;
    while (lines.size() > maxLines) {
      lines.removeFirst();
    }
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** How many lines were ever added; a mark for {@link #since}. */
  synchronized long added() {
    return added;
  }

  /** The lines added after {@code mark} that are still kept, joined with newlines. */
  synchronized String since(long mark) {
    List<String> all = List.copyOf(lines);
    long newer = Math.min(all.size(), Math.max(0, added - mark));
    return String.join("\n", all.subList(all.size() - (int) newer, all.size()));
  }

  /** The last {@code n} lines joined with newlines. */
  synchronized String last(int n) {
    List<String> all = List.copyOf(lines);
    return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
  }

  static String clean(String line) {
    String s = ANSI.matcher(line).replaceAll("");
    s = s.replace("\r", "");
    return s.length() > MAX_LINE_CHARS ? s.substring(0, MAX_LINE_CHARS) + "…" : s;
  }
}
