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
  PARALLEL_BYTES
}
