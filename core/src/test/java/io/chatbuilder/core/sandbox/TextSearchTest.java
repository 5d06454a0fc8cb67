package io.chatbuilder.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextSearchTest {
  private static final byte[] FILE = "alpha\nfoo bar\n  foo\nxbar\nend foo\n".getBytes(StandardCharsets.UTF_8);

  private static List<Integer> lines(String pattern, boolean regex, boolean caseInsensitive) {
    TextSearch search = TextSearch.start(new SearchQuery(pattern, regex, caseInsensitive, List.of(), 100, 0, Duration.ofSeconds(5)));
    search.searchFile("f.txt", FILE);
    search.searchFile("empty.txt", new byte[0]);
    search.searchFile("other.txt", "nothing here\n".getBytes(StandardCharsets.UTF_8));
    return search.result().matches().stream().map(SearchResult.Match::line).toList();
  }

  @Test
  void anchorsAndBoundariesMatchPerLineDespiteTheWholeFilePrefilter() {
    assertThat(lines("^foo", true, false)).containsExactly(2);
    assertThat(lines("foo$", true, false)).containsExactly(3, 5);
    assertThat(lines("^\\s+foo$", true, false)).containsExactly(3);
    assertThat(lines("\\bbar", true, false)).containsExactly(2);
    assertThat(lines("(?<!x)bar", true, false)).containsExactly(2);
    assertThat(lines("\\Afoo", true, false)).containsExactly(2);
    assertThat(lines("end\\Z", true, false)).isEmpty();
    assertThat(lines("foo\\z", true, false)).containsExactly(3, 5);
    assertThat(lines("FOO", true, true)).containsExactly(2, 3, 5);
  }

  @Test
  void literalPrefilterSkipsFilesWithoutTheBytesButCountsThem() {
    TextSearch search = TextSearch.start(SearchQuery.literal("needle"));
    search.searchFile("a.txt", "hay\nstack\n".getBytes(StandardCharsets.UTF_8));
    search.searchFile("b.txt", "a needle here\n".getBytes(StandardCharsets.UTF_8));
    search.searchFile("c.bin", new byte[] {0, 'n', 'e', 'e', 'd', 'l', 'e'});
    search.searchFile("d.bin", new byte[] {0, 1, 2});
    SearchResult result = search.result();
    assertThat(result.matches()).extracting(SearchResult.Match::path).containsExactly("b.txt");
    assertThat(result.filesSearched()).isEqualTo(2);
    assertThat(lines("bar", false, false)).containsExactly(2, 4);
    assertThat(TextSearch.indexOf("abcabd".getBytes(StandardCharsets.UTF_8), "abd".getBytes(StandardCharsets.UTF_8))).isEqualTo(3);
  }
}
