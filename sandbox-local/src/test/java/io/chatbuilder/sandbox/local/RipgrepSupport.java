package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.fail;

import io.chatbuilder.core.sandbox.SearchQuery;
import org.junit.jupiter.api.Assumptions;

/** Ripgrep for the tests of the ripgrep search: skipped without it on a user's machine, required under CI. */
final class RipgrepSupport {
  private RipgrepSupport() {}

  static void require() {
    if (RipgrepSearch.find().isPresent()) {
      return;
    }
    String why = "ripgrep (rg) is not installed in the system directories (Debian: apt-get install ripgrep)";
    if ("true".equals(System.getenv("CI"))) {
      fail(why);
    }
    Assumptions.abort(why);
  }

  /** Whether the ripgrep engine answers this query itself (else the byte search does). */
  static boolean hasLiteral(SearchQuery query) {
    return ByteSearch.Prefilter.of(query).needle()
        .filter(n -> { for (byte b : n) { if (b == 0 || b == '\n') { return false; } } return true; })
        .isPresent();
  }
}
