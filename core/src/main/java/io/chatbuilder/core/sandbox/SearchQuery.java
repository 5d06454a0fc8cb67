package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.InvalidArgumentException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A text search over the sandbox's files.
 *
 * @param pattern the literal text or regular expression (Java syntax)
 * @param regex whether {@code pattern} is a regular expression
 * @param includeGlobs only files matching one of these globs (e.g. {@code src/**}{@code /*.jsx}); empty = all
 * @param maxResults cap on matching lines returned
 * @param contextLines lines of context before and after each match
 * @param timeLimit stops a regex that backtracks catastrophically with a clear error
 */
public record SearchQuery(
    String pattern,
    boolean regex,
    boolean caseInsensitive,
    List<String> includeGlobs,
    int maxResults,
    int contextLines,
    Duration timeLimit) {

  public static final int DEFAULT_MAX_RESULTS = 200;
  public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(5);

  public SearchQuery {
    Objects.requireNonNull(pattern, "pattern == null");
    if (pattern.isEmpty()) {
      throw new InvalidArgumentException("search pattern is empty");
    }
    includeGlobs = List.copyOf(includeGlobs);
    if (maxResults < 1) {
      throw new InvalidArgumentException("maxResults must be >= 1");
    }
    if (contextLines < 0 || contextLines > 20) {
      throw new InvalidArgumentException("contextLines must be between 0 and 20");
    }
    Objects.requireNonNull(timeLimit, "timeLimit == null");
  }

  public static SearchQuery literal(String text) {
    return new SearchQuery(text, false, false, List.of(), DEFAULT_MAX_RESULTS, 0, DEFAULT_TIME_LIMIT);
  }

  public static SearchQuery regex(String pattern) {
    return new SearchQuery(pattern, true, false, List.of(), DEFAULT_MAX_RESULTS, 0, DEFAULT_TIME_LIMIT);
  }
}
