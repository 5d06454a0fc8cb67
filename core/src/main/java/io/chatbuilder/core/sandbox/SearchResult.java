package io.chatbuilder.core.sandbox;

import java.util.List;
import java.util.Objects;

/**
 * Matching lines, in path then line order.
 *
 * @param truncated whether more matches existed than {@code maxResults}
 * @param filesSearched text files searched (excluded and binary files are skipped)
 */
public record SearchResult(List<Match> matches, boolean truncated, int filesSearched) {
  public SearchResult {
    matches = List.copyOf(matches);
  }

  /** One matching line (1-based {@code line}) with its context lines. */
  public record Match(String path, int line, String text, List<String> before, List<String> after) {
    public Match {
      Objects.requireNonNull(path, "path == null");
      Objects.requireNonNull(text, "text == null");
      before = List.copyOf(before);
      after = List.copyOf(after);
    }
  }
}
