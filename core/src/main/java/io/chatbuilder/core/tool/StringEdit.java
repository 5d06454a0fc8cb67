package io.chatbuilder.core.tool;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One {@code edit_file} replacement on a text in {@code \n} form: find {@code old} by the
 * {@link Fuzzy} cascade, require one match unless {@code replaceAll}, and replace it. Failures are
 * {@link InvalidArgumentException}s whose message says what to do next.
 */
final class StringEdit {
  /** Lines of the closest region shown when the old text is not found. */
  static final int MAX_CLOSEST_LINES = 12;
  static final int MAX_LISTED_MATCHES = 10;

  private StringEdit() {}

  record Edit(String oldString, String newString, boolean replaceAll) {
    Edit {
      oldString = TextDocument.modelText(oldString);
      newString = TextDocument.modelText(newString);
    }
  }

  /** The new text, the level that matched, and how many places were replaced. */
  record Applied(String text, Fuzzy.Level level, int replaced) {}

  static Applied apply(String text, Edit edit, String path) {
    String old = edit.oldString();
    String neu = edit.newString();
    if (old.equals(neu)) {
      throw new InvalidArgumentException("old_string and new_string are identical, so nothing would change in " + path
          + ". Put the current text in old_string and the text you want in new_string.");
    }
    if (old.isEmpty()) {
      if (text.isEmpty()) {
        return new Applied(neu, Fuzzy.Level.EXACT, 1);
      }
      throw new InvalidArgumentException("old_string is empty, but " + path + " is not: quote the text to replace "
          + "(to insert, quote the line next to the new text and repeat it in new_string), or use write_file to "
          + "replace the whole file.");
    }
    Block pattern = Block.of(old);
    Block replacement = Block.of(neu);
    List<String> lines = Snippets.lines(text);
    boolean trailingNewline = text.endsWith("\n");
    List<Integer> exact = occurrences(text, old);
    List<Integer> candidates = exact.stream().filter(i -> !insideIndentation(text, i, pattern, replacement)).toList();
    List<Integer> aligned = candidates.stream().filter(i -> !afterLineEnd(text, i, old)).toList();
    if (!aligned.isEmpty()) {
      if (edit.replaceAll()) {
        return new Applied(text.replace(old, neu), Fuzzy.Level.EXACT, countNonOverlapping(text, old));
      }
      // A match after a line's end still counts here: the quote matches that text too.
      if (candidates.size() > 1) {
        throw ambiguous(path, candidates.stream().map(i -> Snippets.lineOf(text, i)).toList(), Fuzzy.Level.EXACT);
      }
      int at = aligned.get(0);
      if (wholeLines(text, at, old) && !pattern.lines.isEmpty()) {
        // Line by line, so a new text indented in another unit than the file's is re-indented.
        return replaceLines(text, lines, trailingNewline, List.of(Snippets.lineOf(text, at) - 1), pattern, replacement,
            Fuzzy.Level.EXACT);
      }
      return new Applied(replaceAt(text, at, old.length(), neu), Fuzzy.Level.EXACT, 1);
    }
    if (Fuzzy.hasContent(pattern.lines)) {
      for (Fuzzy.Level level : Fuzzy.Level.FUZZY) {
        List<Integer> found = Fuzzy.findAll(Fuzzy.normalizeAll(lines, level), pattern.lines, 0, level);
        if (found.isEmpty()) {
          continue;
        }
        if (found.size() > 1 && !edit.replaceAll()) {
          throw ambiguous(path, found.stream().map(i -> i + 1).toList(), level);
        }
        return replaceLines(text, lines, trailingNewline, nonOverlapping(found, pattern.lines.size()), pattern,
            replacement, level);
      }
    }
    if (!exact.isEmpty()) {
      // Only matches inside a line's indentation or after a line's end, and no better match: take them literally.
      if (exact.size() > 1 && !edit.replaceAll()) {
        throw ambiguous(path, exact.stream().map(i -> Snippets.lineOf(text, i)).toList(), Fuzzy.Level.EXACT);
      }
      return new Applied(edit.replaceAll() ? text.replace(old, neu) : replaceAt(text, exact.get(0), old.length(), neu),
          Fuzzy.Level.EXACT, edit.replaceAll() ? countNonOverlapping(text, old) : 1);
    }
    if (old.indexOf('\n') < 0) {
      Optional<Applied> fragment = foldedFragment(text, edit, path);
      if (fragment.isPresent()) {
        return fragment.get();
      }
    }
    throw notFound(path, lines, pattern.lines);
  }

  /** A text as whole lines: without the empty piece after a final newline, which is remembered. */
  private record Block(List<String> lines, boolean endsWithNewline) {
    static Block of(String s) {
      if (s.isEmpty()) {
        return new Block(List.of(), false);
      }
      return new Block(Snippets.lines(s), s.endsWith("\n"));
    }
  }

  private static Applied replaceLines(String text, List<String> lines, boolean trailingNewline, List<Integer> starts,
      Block pattern, Block replacement, Fuzzy.Level level) {
    int[] offsets = new int[lines.size() + 1];
    for (int i = 0; i < lines.size(); i++) {
      offsets[i + 1] = offsets[i] + lines.get(i).length() + 1;
    }
    Replacer replacer = new Replacer(lines);
    StringBuilder out = new StringBuilder(text);
    int k = pattern.lines.size();
    for (int m = starts.size() - 1; m >= 0; m--) {
      int i = starts.get(m);
      int last = i + k - 1;
      int begin = offsets[i];
      int end = offsets[last] + lines.get(last).length();
      boolean newlineAfter = last < lines.size() - 1 || trailingNewline;
      boolean consumesNewline = pattern.endsWithNewline && newlineAfter;
      if (consumesNewline) {
        end++;
      }
      List<String> built = replacer.replace(lines.subList(i, i + k), pattern.lines, replacement.lines, level);
      String piece = String.join("\n", built);
      // As literal as an exact replacement, except that a file without a final newline keeps lacking one.
      if (replacement.endsWithNewline && (consumesNewline || !pattern.endsWithNewline)) {
        piece += "\n";
      }
      out.replace(begin, end, piece);
    }
    return new Applied(out.toString(), level, starts.size());
  }

  /** A one-line quote matched inside a line once punctuation is folded (e.g. {@code “Save”} in {@code "Save"}). */
  private static Optional<Applied> foldedFragment(String text, Edit edit, String path) {
    Fuzzy.Folded file = Fuzzy.foldPunctuation(text);
    String needle = Fuzzy.foldPunctuation(edit.oldString()).text();
    if (needle.isBlank()) {
      return Optional.empty();
    }
    List<Integer> found = occurrences(file.text(), needle);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    if (found.size() > 1 && !edit.replaceAll()) {
      throw ambiguous(path, found.stream().map(i -> Snippets.lineOf(text, file.from()[i])).toList(), Fuzzy.Level.UNICODE);
    }
    List<Integer> starts = new ArrayList<>();
    int next = 0;
    for (int f : found) {
      if (f >= next) {
        starts.add(f);
        next = f + needle.length();
      }
    }
    StringBuilder out = new StringBuilder(text);
    for (int m = starts.size() - 1; m >= 0; m--) {
      int begin = file.from()[starts.get(m)];
      int end = file.to()[starts.get(m) + needle.length() - 1];
      String original = text.substring(begin, end);
      String piece = edit.newString().indexOf('\n') < 0
          ? Replacer.carryOverPunctuation(original, edit.oldString(), edit.newString())
          : edit.newString();
      out.replace(begin, end, piece);
    }
    return Optional.of(new Applied(out.toString(), Fuzzy.Level.UNICODE, starts.size()));
  }

  /**
   * Whether an exact match starts inside the indentation of a line, where the model quoted the line
   * with less (or other) indentation than it has: taken literally, the quote's own indentation or its
   * added lines would come out wrongly indented, so a whole-line match that re-indents is preferred.
   */
  private static boolean insideIndentation(String text, int at, Block pattern, Block replacement) {
    int lineStart = text.lastIndexOf('\n', at - 1) + 1;
    if (lineStart == at || !text.substring(lineStart, at).isBlank()) {
      return false;
    }
    char first = pattern.lines.isEmpty() || pattern.lines.get(0).isEmpty() ? 'x' : pattern.lines.get(0).charAt(0);
    return first == ' ' || first == '\t' || pattern.lines.size() != replacement.lines.size();
  }

  /**
   * Whether an exact match of a quote in whole lines (it starts and ends with a newline, so its
   * first line is empty) starts at the end of a non-empty line: the quote's leading newline is then
   * that line's end, not the empty line the quote shows, and the replacement, written in whole
   * lines, would be glued to that line (deleting the quote joins it with the line after the match).
   * A whole-line match by the cascade, e.g. of the empty line with trailing whitespace dropped from
   * the lines after it, is preferred.
   */
  private static boolean afterLineEnd(String text, int at, String old) {
    return old.length() > 1 && old.startsWith("\n") && old.endsWith("\n") && at > 0 && text.charAt(at - 1) != '\n';
  }

  /** Whether a match covers whole lines: it starts a line and ends one. */
  private static boolean wholeLines(String text, int at, String old) {
    int end = at + old.length();
    return (at == 0 || text.charAt(at - 1) == '\n')
        && (old.endsWith("\n") || end == text.length() || text.charAt(end) == '\n');
  }

  static List<Integer> occurrences(String text, String needle) {
    List<Integer> found = new ArrayList<>();
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      found.add(i);
    }
    return found;
  }

  private static int countNonOverlapping(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }

  private static List<Integer> nonOverlapping(List<Integer> starts, int length) {
    List<Integer> out = new ArrayList<>();
    int next = 0;
    for (int s : starts) {
      if (s >= next) {
        out.add(s);
        next = s + length;
      }
    }
    return out;
  }

  private static String replaceAt(String text, int at, int length, String with) {
    return text.substring(0, at) + with + text.substring(at + length);
  }

  static InvalidArgumentException ambiguous(String path, List<Integer> matchLines, Fuzzy.Level level) {
    List<Integer> lineNumbers = matchLines.stream().distinct().toList();
    List<Integer> shown = lineNumbers.size() > MAX_LISTED_MATCHES ? lineNumbers.subList(0, MAX_LISTED_MATCHES) : lineNumbers;
    String where = shown.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
        + (lineNumbers.size() > shown.size() ? ", …" : "");
    return new InvalidArgumentException("old_string matches " + matchLines.size() + " places in " + path
        + (level == Fuzzy.Level.EXACT ? "" : " (" + level.description().split(";")[0] + ")")
        + (lineNumbers.size() == 1 ? ", all on line " : ", on lines ") + where + ". Add more surrounding lines to old_string so that it matches exactly one "
        + "place, or set replace_all to true to change every occurrence.");
  }

  static InvalidArgumentException notFound(String path, List<String> lines, List<String> pattern) {
    StringBuilder message = new StringBuilder("old_string was not found in ").append(path)
        .append(", not even when ignoring whitespace and Unicode punctuation.");
    Optional<Similarity.Region> closest = Similarity.closest(lines, pattern);
    if (closest.isPresent() && closest.get().score() > 0.2) {
      Similarity.Region r = closest.get();
      message.append(" The most similar part of the file is ").append(Snippets.range(r.start(), r.start() + r.length()))
          .append(":\n").append(Snippets.excerpt(lines, r.start(), r.start() + r.length(), MAX_CLOSEST_LINES));
    } else {
      message.append(' ');
    }
    message.append(lines.size() > 0 ? "\nCopy old_string exactly from the file as it is now (read_file with offset, limit "
        + "and line_numbers shows the lines; do not include the line numbers) and try again." : " The file is empty.");
    return new InvalidArgumentException(message.toString());
  }
}
