package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The pieces of the cascade on their own: normalization per level, folding, re-indentation. */
class MatchingTest {

  @Test
  void eachLevelNormalizesMoreThanTheOneBefore() {
    String line = "\t  const s = \u201Cit\u2019s \u2014 ok\u2026\u201D;\u00A0  ";
    assertThat(Fuzzy.normalize(line, Fuzzy.Level.EXACT)).isEqualTo(line);
    assertThat(Fuzzy.normalize(line, Fuzzy.Level.TRAILING_WHITESPACE)).isEqualTo("\t  const s = \u201Cit\u2019s \u2014 ok\u2026\u201D;\u00A0");
    assertThat(Fuzzy.normalize(line, Fuzzy.Level.INDENTATION)).isEqualTo("const s = \u201Cit\u2019s \u2014 ok\u2026\u201D;\u00A0");
    assertThat(Fuzzy.normalize(line, Fuzzy.Level.UNICODE)).isEqualTo("const s = \"it's - ok...\";");
  }

  @Test
  void foldingKeepsWhereEachCharacterCameFrom() {
    Fuzzy.Folded f = Fuzzy.foldPunctuation("a\u2026b");
    assertThat(f.text()).isEqualTo("a...b");
    assertThat(f.from()).containsExactly(0, 1, 1, 1, 2);
    assertThat(f.to()).containsExactly(1, 2, 2, 2, 3);
  }

  @Test
  void findAllReportsOverlappingMatches() {
    List<String> lines = List.of("a", "a", "a");
    assertThat(Fuzzy.findAll(lines, List.of("a", "a"), 0, Fuzzy.Level.EXACT)).containsExactly(0, 1);
  }

  @Test
  void indentationUnitIsTheMostCommonStep() {
    assertThat(Replacer.unit(List.of("a", "  b", "    c", "  d", "   * doc", "  e"))).isEqualTo("  ");
    assertThat(Replacer.unit(List.of("a", "\tb", "\t\tc"))).isEqualTo("\t");
    assertThat(Replacer.unit(List.of("a", "b"))).isNull();
  }

  @Test
  void reindentMapsModelLevelsToFileLevels() {
    List<String> file = List.of("{", "    a();", "    if (x) {", "        b();", "    }", "}");
    Replacer r = new Replacer(file);
    List<String> out = r.replace(file.subList(2, 5), List.of("if (x) {", "  b();", "}"),
        List.of("if (x) {", "  b();", "  if (y) {", "    c();", "  }", "}", "d();"), Fuzzy.Level.INDENTATION);
    assertThat(out).containsExactly("    if (x) {", "        b();", "        if (y) {", "            c();", "        }", "    }",
        "    d();");
  }

  @Test
  void carryOverKeepsTheFilesTypographyWhereTheModelKeptTheText() {
    assertThat(Replacer.carryOverPunctuation("  <p>\u201CHi\u201D \u2014 it\u2019s me\u2026</p>", "<p>\"Hi\" - it's me...</p>",
        "  <p>\"Hi\" - it's you...</p>")).isEqualTo("  <p>\u201CHi\u201D \u2014 it\u2019s you\u2026</p>");
    assertThat(Replacer.carryOverPunctuation("<p>plain</p>", "<p>plain</p>", "<p>\u201Cnew\u201D</p>"))
        .isEqualTo("<p>\u201Cnew\u201D</p>");
  }

  @Test
  void crlfIsDetectedOnlyWhenEveryLineEndIsCrlf() {
    assertThat(TextDocument.decode("a\r\nb\r\n").crlf()).isTrue();
    assertThat(TextDocument.decode("a\r\nb\n").crlf()).isFalse();
    assertThat(TextDocument.decode("a").crlf()).isFalse();
    TextDocument d = TextDocument.decode("\uFEFFa\r\nb\r\n");
    assertThat(d.text()).isEqualTo("a\nb\n");
    assertThat(new String(d.withText("a\nc\n").encode(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("\uFEFFa\r\nc\r\n");
  }
}
