package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.TextSearch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;

/**
 * The parallel byte-level search: the same answers as feeding every file to one {@link TextSearch}
 * in path order, found faster. Files are split into chunks run on a small pool; in each file a
 * literal that every matching line must contain ({@link #requiredLiteral}) is looked for in the
 * raw bytes first, and a file without it only gets the binary check (NUL in the first 8,000 bytes,
 * strict UTF-8) that decides whether it counts as searched. A file with a hit is matched by its own
 * TextSearch, so line splitting, case rules, context and the per-file limit are TextSearch's. The
 * per-file results are then merged in path order exactly as one TextSearch would have stopped.
 */
final class ByteSearch {
  /** What TextSearch probes for NUL bytes (FileContent.decodeText). */
  private static final int NUL_PROBE = 8000;

  private ByteSearch() {}

  /** One file's outcome: whether it was text, its matches (at most maxResults) and whether it had more. */
  record FileOutcome(String path, boolean text, List<SearchResult.Match> matches, boolean truncated) {}

  /** Where the files come from: {@link ConfinedFiles#readEach}. */
  @FunctionalInterface
  interface Source {
    void readEach(java.util.function.BiPredicate<String, Long> wanted, ConfinedFiles.FileBytesVisitor visitor,
        ExecutorService pool);
  }

  static SearchResult search(SearchQuery query, long maxFileBytes, Source source, ExecutorService pool) {
    TextSearch filter = TextSearch.start(query); // validates the pattern and globs first
    long deadline = System.nanoTime() + query.timeLimit().toNanos();
    Prefilter prefilter = Prefilter.of(query);
    java.util.Queue<FileOutcome> outcomes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    // The walking thread lists directories; the pool reads, checks and matches their files.
    source.readEach((path, size) -> size <= maxFileBytes && filter.accepts(path), (path, content) -> {
      if (System.nanoTime() - deadline > 0) {
        throw timeout(query);
      }
      outcomes.add(searchFile(query, filter, path, content, prefilter));
    }, pool);
    return merge(query, outcomes);
  }

  /** Merges per-file outcomes (in any order) exactly as one TextSearch fed the files in path order would stop. */
  static SearchResult merge(SearchQuery query, java.util.Collection<FileOutcome> outcomes) {
    List<FileOutcome> sorted = new ArrayList<>(outcomes);
    // The walk's order is per directory and per thread; one TextSearch sees files in path order.
    sorted.sort(java.util.Comparator.comparing(FileOutcome::path));
    List<SearchResult.Match> matches = new ArrayList<>();
    boolean truncated = false;
    int filesSearched = 0;
    for (FileOutcome outcome : sorted) {
      if (!outcome.text()) {
        continue;
      }
      filesSearched++;
      int room = query.maxResults() - matches.size();
      if (outcome.matches().size() > room || outcome.truncated()) {
        matches.addAll(outcome.matches().subList(0, Math.min(room, outcome.matches().size())));
        truncated = true;
        break;
      }
      matches.addAll(outcome.matches());
    }
    return new SearchResult(matches, truncated, filesSearched);
  }

  static TimeoutException timeout(SearchQuery query) {
    return new TimeoutException("search stopped after " + query.timeLimit().toMillis()
        + " ms; simplify the pattern (nested quantifiers like (a+)+ backtrack catastrophically)");
  }

  /** One file's outcome by the byte search's rules; thread-safe. */
  static FileOutcome searchFile(SearchQuery query, TextSearch filter, String path, byte[] content, Prefilter prefilter) {
    int hit = prefilter.indexIn(content, 0);
    if (hit < 0) {
      return new FileOutcome(path, isText(content), List.of(), false);
    }
    if (query.contextLines() > 0 || prefilter == Prefilter.NONE) {
      TextSearch one = TextSearch.start(query);
      one.searchFile(path, content);
      SearchResult r = one.result();
      return new FileOutcome(path, r.filesSearched() == 1, r.matches(), r.truncated());
    }
    if (!isText(content)) {
      return new FileOutcome(path, false, List.of(), false);
    }
    // Only the lines holding a hit can match: decode just those, numbered by counting newlines, and
    // test each with TextSearch's own line rule. Lines are what split("\r?\n") gives.
    List<SearchResult.Match> matches = new ArrayList<>();
    int line = 1;
    int counted = 0; // newlines before this offset are counted in line
    while (hit >= 0) {
      int start = hit;
      while (start > 0 && content[start - 1] != '\n') {
        start--;
      }
      for (int i = counted; i < start; i++) {
        if (content[i] == '\n') {
          line++;
        }
      }
      counted = start;
      int end = hit;
      while (end < content.length && content[end] != '\n') {
        end++;
      }
      int textEnd = end < content.length && end > start && content[end - 1] == '\r' ? end - 1 : end;
      String text = new String(content, start, textEnd - start, StandardCharsets.UTF_8);
      if (filter.matchesLine(text)) {
        if (matches.size() >= query.maxResults()) {
          return new FileOutcome(path, true, matches, true);
        }
        matches.add(new SearchResult.Match(path, line, text, List.of(), List.of()));
      }
      if (end >= content.length) {
        break;
      }
      hit = prefilter.indexIn(content, end + 1);
    }
    return new FileOutcome(path, true, matches, false);
  }

  /** FileContent.decodeText's rule on bytes: no NUL in the first 8,000 bytes and strict UTF-8. */
  static boolean isText(byte[] b) {
    int probe = Math.min(b.length, NUL_PROBE);
    for (int i = 0; i < probe; i++) {
      if (b[i] == 0) {
        return false;
      }
    }
    int i = 0;
    int n = b.length;
    while (i < n) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int need;
      int min2 = 0x80;
      int max2 = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) {
          min2 = 0xA0;
        } else if (c == 0xED) {
          max2 = 0x9F; // no surrogates
        }
      } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) {
          min2 = 0x90;
        } else if (c == 0xF4) {
          max2 = 0x8F;
        }
      } else {
        return false;
      }
      if (i + need >= n) {
        return false; // cut off at the end
      }
      int second = b[i + 1] & 0xFF;
      if (second < min2 || second > max2) {
        return false;
      }
      for (int k = 2; k <= need; k++) {
        int cont = b[i + k] & 0xFF;
        if (cont < 0x80 || cont > 0xBF) {
          return false;
        }
      }
      i += need + 1;
    }
    return true;
  }

  /**
   * A literal every matching line must contain, searched in the raw bytes with a Horspool skip
   * table; {@link #NONE} when none can be derived safely (then every text file goes to TextSearch).
   * For valid UTF-8, a string occurs in the text exactly when its UTF-8 bytes occur in the bytes.
   */
  static final class Prefilter {
    static final Prefilter NONE = new Prefilter(null, false);

    private final byte[] needle;
    private final boolean asciiFold;
    private final int[] skip;

    private Prefilter(byte[] needle, boolean asciiFold) {
      this.needle = needle;
      this.asciiFold = asciiFold;
      if (needle == null) {
        this.skip = null;
        return;
      }
      this.skip = new int[256];
      java.util.Arrays.fill(skip, needle.length);
      for (int i = 0; i < needle.length - 1; i++) {
        int c = needle[i] & 0xFF;
        skip[c] = needle.length - 1 - i;
        if (asciiFold && c >= 'a' && c <= 'z') {
          skip[c - 32] = needle.length - 1 - i;
        }
      }
    }

    static Prefilter of(SearchQuery query) {
      String literal = requiredLiteral(query);
      if (literal == null || literal.isEmpty()) {
        return NONE;
      }
      if (!query.caseInsensitive()) {
        return new Prefilter(literal.getBytes(StandardCharsets.UTF_8), false);
      }
      // Case-insensitive: only ASCII runs whose letters have no non-ASCII case variants in Java's
      // rules (i: dotless ı and dotted İ, k: the Kelvin sign, s: long ſ), compared folding ASCII case.
      String best = "";
      StringBuilder run = new StringBuilder();
      for (int i = 0; i <= literal.length(); i++) {
        char c = i < literal.length() ? literal.charAt(i) : 0;
        if (i < literal.length() && c < 0x80 && c != 0 && "iIkKsS".indexOf(c) < 0) {
          run.append(Character.toLowerCase(c));
        } else {
          if (run.length() > best.length()) {
            best = run.toString();
          }
          run.setLength(0);
        }
      }
      return best.isEmpty() ? NONE : new Prefilter(best.getBytes(StandardCharsets.US_ASCII), true);
    }

    /**
     * The literal: the whole pattern for a literal query; for a regex, the longest run of plain
     * characters at the top level (no alternation there), each not followed by a quantifier.
     */
    static String requiredLiteral(SearchQuery query) {
      String p = query.pattern();
      if (!query.regex()) {
        if (query.caseInsensitive()) {
          // Java compares lower-cased text; keep only what lower-casing leaves as it is in ASCII.
          return p.toLowerCase(Locale.ROOT);
        }
        return p;
      }
      if (p.contains("(?")) {
        return null; // flags inside the pattern ((?i), (?x) ...) change what a plain character means
      }
      String best = "";
      StringBuilder run = new StringBuilder();
      int depth = 0;
      for (int i = 0; i < p.length(); i++) {
        char c = p.charAt(i);
        boolean literalHere = false;
        char lit = 0;
        int next = i + 1;
        if (c == '\\') {
          if (i + 1 >= p.length()) {
            return null;
          }
          char e = p.charAt(i + 1);
          next = i + 2;
          if (e < 0x80 && !Character.isLetterOrDigit(e)) {
            literalHere = depth == 0;
            lit = e;
          } else if ("dDsSwWbBtnrfeahHvVRXAzZG".indexOf(e) < 0) {
            // An escape with an argument (\x41, \u0041, \0, \1, \p{..}, \Q..\E, \k<..>): where it
            // ends is not parsed here, so nothing after it is used.
            return longer(best, run.toString());
          }
        } else if (c == '[') {
          // skip the class: ']' first is a member; escapes inside
          int j = i + 1;
          if (j < p.length() && p.charAt(j) == '^') {
            j++;
          }
          if (j < p.length() && p.charAt(j) == ']') {
            j++;
          }
          int nested = 0;
          for (; j < p.length(); j++) {
            char x = p.charAt(j);
            if (x == '\\') {
              j++;
            } else if (x == '[') {
              nested++;
            } else if (x == ']') {
              if (nested == 0) {
                break;
              }
              nested--;
            }
          }
          next = j + 1;
        } else if (c == '{') {
          int close = p.indexOf('}', i);
          next = close < 0 ? p.length() : close + 1; // a bounded repetition: its digits are no literal
        } else if (c == '(') {
          depth++;
        } else if (c == ')') {
          depth--;
        } else if (c == '|') {
          if (depth == 0) {
            return null; // a top-level alternative need not contain anything
          }
        } else if (depth == 0 && "^$.*+?{}]".indexOf(c) < 0 && !Character.isSurrogate(c)) {
          literalHere = true;
          lit = c;
        }
        boolean quantified = next < p.length() && "*+?{".indexOf(p.charAt(next)) >= 0;
        if (literalHere && !quantified) {
          run.append(lit);
        } else {
          if (run.length() > best.length()) {
            best = run.toString();
          }
          run.setLength(0);
        }
        i = next - 1;
      }
      if (run.length() > best.length()) {
        best = run.toString();
      }
      return best;
    }

    private static String longer(String a, String b) {
      return b.length() > a.length() ? b : a;
    }

    /** The literal's bytes (a copy), empty for {@link #NONE}. */
    java.util.Optional<byte[]> needle() {
      return needle == null ? java.util.Optional.empty() : java.util.Optional.of(needle.clone());
    }

    /** Whether the literal is compared folding ASCII case (it is then lower-case ASCII without i, k or s). */
    boolean asciiFold() {
      return asciiFold;
    }

    /** The first offset at or after {@code from} where the literal starts; {@code from} itself without a literal. */
    int indexIn(byte[] hay, int from) {
      if (needle == null) {
        return from < hay.length || from == 0 ? from : -1;
      }
      int m = needle.length;
      int last = m - 1;
      int i = from;
      while (i + m <= hay.length) {
        int j = last;
        while (j >= 0 && same(hay[i + j], needle[j])) {
          j--;
        }
        if (j < 0) {
          return i;
        }
        i += skip[hay[i + last] & 0xFF];
      }
      return -1;
    }

    private boolean same(byte h, byte n) {
      if (h == n) {
        return true;
      }
      return asciiFold && h >= 'A' && h <= 'Z' && h + 32 == n;
    }
  }
}
