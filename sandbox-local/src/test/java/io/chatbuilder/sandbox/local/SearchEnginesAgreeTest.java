package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parallel byte search and the ripgrep search (its second search of a tree, once every file's
 * text mark is known, is answered by rg) give exactly the reference's {@link SearchResult} (matches, context,
 * truncation, files searched): on the contract's search cases, on a tree of traps (CRLF, lone CR,
 * NUL before and after byte 8,000, invalid UTF-8 late in a file, BOMs, letters whose case maps
 * leave ASCII, ignored and excluded files, a FIFO, a symlink out of the root, a name with a
 * newline, a 1 GB sparse file), and on random trees and queries.
 */
class SearchEnginesAgreeTest {
  private static final long MAX = 64 * 1024;

  @TempDir Path dir;

  /**
   * The ripgrep engine's clock runs this far ahead, so the files a test just wrote are past the
   * racy window and their text marks are trusted: its second search of a tree is rg's.
   */
  static final long AHEAD_NANOS = java.time.Duration.ofHours(1).toNanos();

  private LocalSandbox open(Path root, SearchEngine engine) {
    return LocalSandbox.builder(root).maxFileBytes(MAX).searchEngine(engine).unisolated()
        .clockNanos(() -> System.currentTimeMillis() * 1_000_000L + AHEAD_NANOS).build();
  }

  /** Runs {@code query} on every engine over {@code root} and returns the (equal) result. */
  private SearchResult both(Path root, SearchQuery query) {
    RipgrepSupport.require();
    try (LocalSandbox reference = open(root, SearchEngine.SEQUENTIAL);
        LocalSandbox parallel = open(root, SearchEngine.PARALLEL_BYTES);
        LocalSandbox ripgrep = open(root, SearchEngine.RIPGREP)) {
      SearchResult expected = reference.search(query);
      SearchResult actual = parallel.search(query);
      assertThat(actual).as("parallel bytes vs reference for %s", query).isEqualTo(expected);
      assertThat(ripgrep.search(query)).as("ripgrep, first search (files read in-process), for %s", query)
          .isEqualTo(expected);
      long answered = ripgrep.ripgrepSearches();
      assertThat(ripgrep.search(query)).as("ripgrep for %s", query).isEqualTo(expected);
      if (RipgrepSupport.hasLiteral(query)) {
        assertThat(ripgrep.ripgrepSearches()).as("rg answered %s", query).isEqualTo(answered + 1);
      }
      return expected;
    }
  }

  private static SearchQuery q(String pattern, boolean regex, boolean ci, List<String> globs, int max, int context) {
    return new SearchQuery(pattern, regex, ci, globs, max, context, Duration.ofSeconds(20));
  }

  @Test
  void contractSearchCasesAgree() throws IOException {
    Path root = dir.resolve("contract");
    write(root, "src/App.jsx", "import React from 'react';\nexport function App() {\n  return <h1>Hello</h1>;\n}\n");
    write(root, "src/util.js", "export const hello = 'hello';\n");
    write(root, "README.md", "Say HELLO\n");
    Files.write(root.resolve("logo.bin"), new byte[] {0, 'h', 'e', 'l', 'l', 'o', 'n', 'e', 'e', 'd', 'l', 'e'});
    Files.createDirectories(root.resolve("node_modules/x"));
    write(root, "node_modules/x/index.js", "hello\n");
    assertThat(both(root, SearchQuery.literal("Hello")).matches()).hasSize(1);
    assertThat(both(root, q("hello", false, true, List.of(), 200, 0)).matches()).hasSize(3);
    both(root, SearchQuery.regex("h[0-9]>"));
    both(root, q("hello", false, true, List.of("src/**/*.js"), 200, 0));
    both(root, q("hello", false, true, List.of("*.md"), 200, 0));
    both(root, q("return", false, false, List.of(), 200, 1));
    both(root, q("e", false, false, List.of(), 2, 0));
    assertThat(both(root, SearchQuery.literal("needle")).matches()).isEmpty();
    for (SearchEngine engine : SearchEngine.values()) {
      try (LocalSandbox s = open(root, engine)) {
        assertThatThrownBy(() -> s.search(SearchQuery.regex("(unclosed"))).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> s.search(q("x", false, false, List.of("a[b"), 10, 0)))
            .isInstanceOf(InvalidArgumentException.class);
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // a FIFO opened for reading would block forever
  void trapsAgree() throws Exception {
    Path root = dir.resolve("traps");
    write(root, "crlf.txt", "alpha needle\r\nbeta\r\nneedle gamma\r\n");
    write(root, "lonecr.txt", "one\rneedle\rtwo\nlast needle");
    write(root, "crcr.txt", "end needle\r\r\nx\r");
    write(root, "empty.txt", "");
    write(root, "bom.txt", "\uFEFFneedle first\n");
    write(root, "unicode.txt", "KELVIN \u212A here\nDotted \u0130 here\nlong \u017F s\ndotless \u0131 i\nstra\u00DFe STRASSE\n"
        + "caf\u00E9 CAF\u00C9 needle\n\u2028sep needle\u2029\n");
    byte[] lateNul = new byte[9000];
    java.util.Arrays.fill(lateNul, (byte) 'a');
    byte[] marker = "\nneedle\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(marker, 0, lateNul, 100, marker.length);
    lateNul[8500] = 0; // after the probe: still text
    Files.write(root.resolve("late-nul.txt"), lateNul);
    byte[] earlyNul = lateNul.clone();
    earlyNul[7999] = 0; // inside the probe: binary
    Files.write(root.resolve("early-nul.txt"), earlyNul);
    byte[] badUtf8 = lateNul.clone();
    badUtf8[8500] = 'b';
    badUtf8[8800] = (byte) 0xC3; // a lead byte cut off: not UTF-8, binary
    Files.write(root.resolve("bad-utf8.txt"), badUtf8);
    write(root, ".gitignore", "ignored.txt\nlogs/\n");
    write(root, "ignored.txt", "needle\n");
    write(root, "logs/x.txt", "needle\n");
    write(root, "Node_Modules/pkg/a.js", "needle\n");
    write(root, "src/deep/a/b.js", "const needle = 1;\nlet x = needle2;\n");
    write(root, "src/name\nwith newline.js", "needle in a strange name\n");
    Path outside = dir.resolve("outside");
    write(outside, "secret.txt", "needle outside\n");
    Files.createSymbolicLink(root.resolve("link-out"), outside);
    Files.createSymbolicLink(root.resolve("file-link.txt"), outside.resolve("secret.txt"));
    Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe.txt").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    try (RandomAccessFile sparse = new RandomAccessFile(root.resolve("huge.txt").toFile(), "rw")) {
      sparse.write("needle\n".getBytes(StandardCharsets.US_ASCII));
      sparse.setLength(1L << 30); // 1 GB, sparse: over the size limit, skipped without reading
    }
    SearchResult needle = both(root, SearchQuery.literal("needle"));
    assertThat(needle.matches()).extracting(SearchResult.Match::path)
        .contains("crlf.txt", "lonecr.txt", "late-nul.txt", "src/deep/a/b.js", "bom.txt")
        .doesNotContain("early-nul.txt", "bad-utf8.txt", "ignored.txt", "logs/x.txt", "Node_Modules/pkg/a.js",
            "link-out/secret.txt", "file-link.txt", "pipe.txt", "huge.txt", "src/name\nwith newline.js");
    List<SearchQuery> queries = new ArrayList<>();
    for (String p : List.of("needle", "NEEDLE", "k", "K", "i", "I", "s", "strasse", "stra\u00DFe", "caf\u00E9", "\r", "\n",
        "needle\r", " ", "here", "sep", "\u2028", "\u212A", "\u0130")) {
      for (boolean ci : new boolean[] {false, true}) {
        queries.add(q(p, false, ci, List.of(), 200, 0));
      }
    }
    for (String p : List.of("needle$", "^needle", "ne+dle", "n(ee|ii)dle", "needle|KELVIN", "[a-z]+ needle", "\\bneedle\\b",
        "needle\\d?", "(?i)kelvin k", "k", "s\\s", "here$", "^$", ".", "a{3}", "\\Qneedle\\E", "ne\\x65dle",
        "(needle) \\1", "needle(?= )", "[^a-z]needle", "(.*a){2}$", "x{1,2}y", "a\\{3\\}", "\\(\\)")) {
      for (boolean ci : new boolean[] {false, true}) {
        queries.add(q(p, true, ci, List.of(), 200, 0));
      }
    }
    queries.add(q("needle", false, false, List.of("src/**/*.js"), 200, 2));
    queries.add(q("needle", false, false, List.of("*.txt"), 3, 1));
    queries.add(q("a", false, false, List.of(), 1, 3));
    queries.add(q("needle", false, true, List.of(), 4, 20));
    for (SearchQuery query : queries) {
      both(root, query);
    }
  }

  @Test
  void randomTreesAndQueriesAgree() throws IOException {
    Random random = new Random(19);
    String[] pieces = {"a", "b", "A", "B", "k", "K", "\u212A", "i", "I", "\u0130", "\u0131", "s", "\u017F", "\u00E9", "\r", "\n",
        "\r\n", " ", "ab", "ba", "x", "\u2028"};
    for (int round = 0; round < 6; round++) {
      Path root = dir.resolve("random-" + round);
      Files.createDirectories(root);
      for (int f = 0; f < 40; f++) {
        StringBuilder text = new StringBuilder();
        int len = random.nextInt(200);
        for (int c = 0; c < len; c++) {
          text.append(pieces[random.nextInt(pieces.length)]);
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        if (random.nextInt(10) == 0 && bytes.length > 0) {
          bytes[random.nextInt(bytes.length)] = (byte) (random.nextBoolean() ? 0 : 0xFF);
        }
        Path file = root.resolve((f % 3 == 0 ? "d" + (f % 4) + "/" : "") + "f" + f + (f % 2 == 0 ? ".js" : ".txt"));
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
      }
      for (int k = 0; k < 25; k++) {
        StringBuilder p = new StringBuilder();
        int len = 1 + random.nextInt(3);
        for (int c = 0; c < len; c++) {
          String piece = pieces[random.nextInt(pieces.length)];
          p.append(piece.equals("\n") || piece.equals("\r\n") ? "b" : piece);
        }
        boolean regex = random.nextBoolean();
        String pattern = regex ? p.toString().replace("\r", "\\r") + (random.nextBoolean() ? "+" : "") : p.toString();
        List<String> globs = random.nextInt(4) == 0 ? List.of("*.js") : List.of();
        both(root, q(pattern, regex, random.nextBoolean(), globs, 1 + random.nextInt(30), random.nextInt(3)));
      }
    }
  }

  @Test
  void binaryCheckOnBytesIsFileContentsRule() {
    Random random = new Random(7);
    byte[][] fixed = {{}, {(byte) 0xC3}, {(byte) 0xC3, (byte) 0xA9}, {(byte) 0xE0, (byte) 0x80, (byte) 0x80},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}};
    for (byte[] b : fixed) {
      assertThat(ByteSearch.isText(b)).as(java.util.Arrays.toString(b)).isEqualTo(FileContent.decodeText(b) != null);
    }
    for (int i = 0; i < 200_000; i++) {
      byte[] b = new byte[random.nextInt(8)];
      for (int j = 0; j < b.length; j++) {
        int kind = random.nextInt(4);
        b[j] = (byte) (kind == 0 ? random.nextInt(0x80) : kind == 1 ? 0x80 + random.nextInt(0x40) : random.nextInt(256));
      }
      assertThat(ByteSearch.isText(b)).as(java.util.Arrays.toString(b)).isEqualTo(FileContent.decodeText(b) != null);
    }
  }

  /**
   * The prefilter's assumption, checked over every code point: in a case-insensitive literal query
   * (Java lower-cases both sides) only i and k can come from a non-ASCII character, and in a
   * case-insensitive regex (CASE_INSENSITIVE | UNICODE_CASE) only i, k and s have non-ASCII variants.
   */
  @Test
  void onlyIKAndSHaveNonAsciiCaseVariants() {
    java.util.Set<Character> literal = new java.util.TreeSet<>();
    java.util.Set<Character> regex = new java.util.TreeSet<>();
    for (int cp = 0x80; cp <= Character.MAX_CODE_POINT; cp++) {
      String lower = new String(Character.toChars(cp)).toLowerCase(Locale.ROOT);
      lower.chars().filter(c -> c < 0x80).forEach(c -> literal.add(Character.toLowerCase((char) c)));
      for (int a = 0; a < 0x80; a++) {
        if (Character.toUpperCase(cp) == Character.toUpperCase(a) || Character.toLowerCase(cp) == Character.toLowerCase(a)) {
          regex.add(Character.toLowerCase((char) a));
        }
      }
    }
    assertThat(literal).containsExactly('i', 'k');
    assertThat(regex).containsExactly('i', 'k', 's');
  }

  @Test
  void requiredLiteralIsOnlyWhatEveryMatchContains() {
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("useState\\(initial \\?\\? 9[0-9]{2}\\)")))
        .isEqualTo("useState(initial ?? 9");
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("(.*a){12}$"))).isEmpty();
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("abc+d"))).isEqualTo("ab");
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("ab|cd"))).isNull();
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("x(ab|cd)yz"))).isEqualTo("yz");
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("[abc]{2}xyz\\d"))).isEqualTo("xyz");
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("(?i)abc"))).isNull();
    assertThat(ByteSearch.Prefilter.requiredLiteral(SearchQuery.regex("\\Qa.b\\E"))).isEqualTo("");
  }

  private static void write(Path root, String path, String text) throws IOException {
    Path file = root.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
