package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.TimeoutException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The line matcher behind {@link Sandbox#search}, shared by sandbox implementations so every
 * sandbox answers a query the same way. Compile once per query, then feed it files in path order.
 *
 * <p>Regular expressions run against a character sequence that checks the query's deadline, so a
 * pattern that backtracks catastrophically stops with a {@link TimeoutException} instead of
 * pinning a core.
 */
public final class TextSearch {
  private final SearchQuery query;
  private final Pattern pattern;
  private final String literal;
  private final List<PathMatcher> globs;
  private final long deadlineNanos;
  private final List<SearchResult.Match> matches = new ArrayList<>();
  private boolean truncated;
  private int filesSearched;

  private TextSearch(SearchQuery query) {
    this.query = query;
    if (query.regex()) {
      try {
        this.pattern = Pattern.compile(query.pattern(), query.caseInsensitive()
            ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
      } catch (PatternSyntaxException e) {
        throw new InvalidArgumentException("invalid regular expression: " + e.getDescription() + " near index " + e.getIndex());
      }
      this.literal = null;
    } else {
      this.pattern = null;
      this.literal = query.caseInsensitive() ? query.pattern().toLowerCase(Locale.ROOT) : query.pattern();
    }
    this.globs = new ArrayList<>();
    for (String glob : query.includeGlobs()) {
      try {
        globs.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
        if (glob.contains("**/")) {
          // "src/**/*.js" should also match "src/a.js", as in ripgrep and .gitignore.
          globs.add(FileSystems.getDefault().getPathMatcher("glob:" + glob.replace("**/", "")));
        }
      } catch (IllegalArgumentException e) {
        throw new InvalidArgumentException("invalid glob '" + glob + "': " + e.getMessage());
      }
    }
    this.deadlineNanos = System.nanoTime() + query.timeLimit().toNanos();
  }

  public static TextSearch start(SearchQuery query) {
    return new TextSearch(query);
  }

  /** Whether a file passes the query's glob filters. Globs without '/' match the file name. */
  public boolean accepts(String path) {
    if (globs.isEmpty()) {
      return true;
    }
    Path full = Path.of(path);
    Path name = full.getFileName();
    for (int i = 0; i < globs.size(); i++) {
      PathMatcher glob = globs.get(i);
      if (glob.matches(full) || (name != null && glob.matches(name))) {
        return true;
      }
    }
    return false;
  }

  /** Whether the result limit is reached; callers stop feeding files. */
  public boolean full() {
    return truncated;
  }

  /** Searches one file's bytes; binary content is skipped. Returns whether the limit was reached. */
  public boolean searchFile(String path, byte[] content) {
    checkDeadline();
    if (truncated) {
      return true;
    }
    String text = FileContent.decodeText(content);
    if (text == null) {
      return false;
    }
    filesSearched++;
    String[] lines = text.split("\r?\n", -1);
    int count = lines.length;
    if (count > 0 && lines[count - 1].isEmpty()) {
      count--;
    }
    for (int i = 0; i < count; i++) {
      if (lineMatches(lines[i])) {
        if (matches.size() >= query.maxResults()) {
          truncated = true;
          return true;
        }
        int from = Math.max(0, i - query.contextLines());
        int to = Math.min(count, i + 1 + query.contextLines());
        List<String> all = java.util.Arrays.asList(lines);
        matches.add(new SearchResult.Match(path, i + 1, lines[i], all.subList(from, i), all.subList(i + 1, to)));
      }
    }
    return false;
  }

  /**
   * Whether one line (without its line terminator) matches the query: the test {@link #searchFile}
   * applies to each line, for a sandbox that finds candidate lines itself. Checks the deadline;
   * thread-safe (it keeps no state).
   */
  public boolean matchesLine(String line) {
    checkDeadline();
    return lineMatches(line);
  }

  public SearchResult result() {
    return new SearchResult(matches, truncated, filesSearched);
  }

  private boolean lineMatches(String line) {
    if (pattern == null) {
      return query.caseInsensitive() ? line.toLowerCase(Locale.ROOT).contains(literal) : line.contains(literal);
    }
    Matcher m = pattern.matcher(new DeadlineCharSequence(line, this));
    try {
      return m.find();
    } catch (StackOverflowError e) {
      // java.util.regex recurses per repetition; a long line can exhaust the stack.
      throw new InvalidArgumentException("the regular expression is too complex for a line of " + line.length()
          + " characters; use a simpler pattern (avoid alternations inside repetitions such as (a|b)*)");
    }
  }

  private void checkDeadline() {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new TimeoutException("search stopped after " + query.timeLimit().toMillis()
          + " ms; simplify the pattern (nested quantifiers like (a+)+ backtrack catastrophically)");
    }
  }

  /** Checks the deadline every few thousand character reads of the regex engine. */
  private static final class DeadlineCharSequence implements CharSequence {
    private final CharSequence delegate;
    private final TextSearch owner;
    private int reads;

    DeadlineCharSequence(CharSequence delegate, TextSearch owner) {
      this.delegate = delegate;
      this.owner = owner;
    }

    @Override
    public int length() {
      return delegate.length();
    }

    @Override
    public char charAt(int index) {
      if ((++reads & 0xFFF) == 0) {
        owner.checkDeadline();
      }
      return delegate.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new DeadlineCharSequence(delegate.subSequence(start, end), owner);
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
