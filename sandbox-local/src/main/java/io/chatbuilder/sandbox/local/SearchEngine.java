package io.chatbuilder.sandbox.local;

/**
 * How {@link LocalSandbox#search} reads and matches files. Package-private: a switch for tests and
 * the bench, so every engine can be checked against the reference on the same cases.
 */
enum SearchEngine {
  /** The reference: one thread, every accepted file decoded and matched by core's TextSearch. */
  SEQUENTIAL,
  /**
   * Files split across a small pool; a byte-level prefilter (a literal every match must contain)
   * skips files without it after a binary check on bytes; files with a hit go through TextSearch.
   */
  PARALLEL_BYTES,
  /**
   * The default: ripgrep ({@code rg} from the system directories) reads the files the tracker
   * lists, in bubblewrap's read-only profile for an isolated sandbox; {@link #PARALLEL_BYTES}
   * answers where rg is not installed, where an isolated sandbox has no working bubblewrap, and for
   * queries without a literal rg can look for. See {@link RipgrepSearch}.
   */
  RIPGREP
}
