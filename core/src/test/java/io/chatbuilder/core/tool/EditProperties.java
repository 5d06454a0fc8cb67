package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Random files of few distinct lines (so quotes are often ambiguous) and random replacements: an
 * edit quoted with enough context to be unique always yields exactly the intended text, also when
 * the quote lost its trailing whitespace or the file is CRLF; a quote that matches several places
 * is always refused and never applied.
 */
class EditProperties {
  static final List<String> LINES = List.of("a", "  b", "c  ", "\td", "", "}", "  b ", "e");

  @Provide
  Arbitrary<List<String>> files() {
    return Arbitraries.of(LINES).list().ofMinSize(1).ofMaxSize(30);
  }

  @Provide
  Arbitrary<List<String>> replacements() {
    return Arbitraries.of("x", "  y", "z;", "").list().ofMinSize(0).ofMaxSize(4);
  }

  @Property(tries = 400)
  void aUniqueQuoteYieldsExactlyTheIntendedText(@ForAll("files") List<String> lines, @ForAll("replacements") List<String> with,
      @ForAll @IntRange(min = 0, max = 29) int at, @ForAll @IntRange(min = 1, max = 4) int length,
      @ForAll boolean crlf, @ForAll boolean dropTrailingWhitespace) {
    int from = Math.min(at, lines.size() - 1);
    int to = Math.min(lines.size(), from + length);
    List<String> after = new ArrayList<>(lines.subList(0, from));
    after.addAll(with);
    after.addAll(lines.subList(to, lines.size()));
    String beforeText = String.join("\n", lines) + "\n";
    String afterText = after.isEmpty() ? "" : String.join("\n", after) + "\n";
    if (beforeText.equals(afterText)) {
      return;
    }
    // Widen the quote with context until it matches one place, as a careful model does.
    int a = from;
    int b = to;
    while (StringEdit.occurrences(beforeText, quote(lines, a, b)).size() > 1 && (a > 0 || b < lines.size())) {
      if (a > 0) {
        a--;
      }
      if (b < lines.size() && StringEdit.occurrences(beforeText, quote(lines, a, b)).size() > 1) {
        b++;
      }
    }
    String old = quote(lines, a, b);
    if (StringEdit.occurrences(beforeText, old).size() > 1) {
      return; // the whole file repeats itself; nothing can make it unique
    }
    List<String> neu = new ArrayList<>(lines.subList(a, from));
    neu.addAll(with);
    neu.addAll(lines.subList(to, b));
    String newString = neu.isEmpty() ? "" : String.join("\n", neu) + "\n";
    if (dropTrailingWhitespace) {
      old = old.lines().map(String::stripTrailing).reduce("", (x, y) -> x + y + "\n");
      newString = newString.lines().map(String::stripTrailing).reduce("", (x, y) -> x + y + "\n");
      // Without trailing whitespace a quote may become ambiguous or lose lines that now differ, or
      // no longer say which lines it deletes: where deleting other lines of the quote reads the same
      // without trailing whitespace, the model's text fits either, and the tool keeps the first copy
      // of a repeated line (see Replacer).
      if (lines.subList(a, b).stream().anyMatch(l -> !l.equals(l.stripTrailing()) && !with.isEmpty())
          || with.isEmpty() && anotherDeletionReadsTheSame(lines.subList(a, b), from - a, to - a)
          || Fuzzy.findAll(Fuzzy.normalizeAll(Snippets.lines(beforeText), Fuzzy.Level.TRAILING_WHITESPACE),
              Snippets.lines(old), 0, Fuzzy.Level.TRAILING_WHITESPACE).size() != 1) {
        return;
      }
    }
    if (new Replacer(Snippets.lines(beforeText)).otherUnit(Snippets.lines(old), Snippets.lines(newString))) {
      return; // documented exception: new lines indented in another unit than a consistently indented file are re-indented
    }
    ToolHarness h = ToolHarness.with("f.txt", crlf ? beforeText.replace("\n", "\r\n") : beforeText);
    try {
      h.edit("f.txt", old, newString);
    } catch (InvalidArgumentException e) {
      assertThat(e.getMessage()).as("only an old string equal to the new one may fail").startsWith("old_string and new_string are identical");
      return;
    }
    assertThat(h.text("f.txt")).isEqualTo(crlf ? afterText.replace("\n", "\r\n") : afterText);
  }

  @Property(tries = 300)
  void anAmbiguousQuoteIsNeverApplied(@ForAll("files") List<String> lines, @ForAll @IntRange(min = 0, max = 29) int at) {
    String text = String.join("\n", lines) + "\n";
    String line = lines.get(Math.min(at, lines.size() - 1));
    if (line.isBlank() || StringEdit.occurrences(text, line).size() < 2) {
      return;
    }
    ToolHarness h = ToolHarness.with("f.txt", text);
    try {
      h.edit("f.txt", line, "CHANGED");
    } catch (InvalidArgumentException e) {
      assertThat(e.getMessage()).contains("matches " + StringEdit.occurrences(text, line).size() + " places");
      assertThat(h.text("f.txt")).isEqualTo(text);
      return;
    }
    throw new AssertionError("an ambiguous quote was applied");
  }

  @Example
  void aDeletionIsAmbiguousOnlyWhenAnotherOneReadsTheSameWithoutTrailingWhitespace() {
    // Seed -8070951300516530616, shrunk: deleting "  b" before "  b " reads as deleting "  b ".
    assertThat(anotherDeletionReadsTheSame(List.of("  b", "  b "), 0, 1)).isTrue();
    assertThat(anotherDeletionReadsTheSame(List.of("  b ", "x", "  b"), 0, 1)).isFalse();
    assertThat(anotherDeletionReadsTheSame(List.of("", "a", "  b "), 0, 3)).isFalse();
    assertThat(anotherDeletionReadsTheSame(List.of("a", "a", "b"), 0, 1)).isFalse();
  }

  /**
   * Whether deleting another {@code to - from} lines of {@code region} than {@code [from, to)} leaves
   * the same lines once trailing whitespace is dropped, but not the same lines.
   */
  static boolean anotherDeletionReadsTheSame(List<String> region, int from, int to) {
    List<String> intended = new ArrayList<>(region.subList(0, from));
    intended.addAll(region.subList(to, region.size()));
    return anotherDeletion(region, to - from, 0, new ArrayList<>(), intended);
  }

  private static boolean anotherDeletion(List<String> region, int left, int next, List<String> kept, List<String> intended) {
    if (next == region.size()) {
      return kept.size() == intended.size() && !kept.equals(intended);
    }
    boolean found = false;
    String line = region.get(next);
    if (kept.size() < intended.size() && line.stripTrailing().equals(intended.get(kept.size()).stripTrailing())) {
      kept.add(line);
      found = anotherDeletion(region, left, next + 1, kept, intended);
      kept.remove(kept.size() - 1);
    }
    return found || left > 0 && anotherDeletion(region, left - 1, next + 1, kept, intended);
  }

  private static String quote(List<String> lines, int from, int to) {
    return String.join("\n", lines.subList(from, to)) + "\n";
  }
}
