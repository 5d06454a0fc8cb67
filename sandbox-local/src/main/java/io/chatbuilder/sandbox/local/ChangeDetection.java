package io.chatbuilder.sandbox.local;

/** How a {@link LocalSandbox} notices changes it did not make itself. */
public enum ChangeDetection {
  /**
   * Every {@code scanChanges()} stats the whole tree (one {@code lstat} per file, no reads except
   * files modified in the last two seconds), so edits by anyone (a command, a person, another
   * program) are caught. The default.
   */
  STAT_EVERY_SCAN,

  /**
   * Only writes through the sandbox and commands it runs change the files: a scan after SDK writes
   * costs O(changed files); a full stat rescan happens only after a command ran. Edits by other
   * programs are missed until the next command, so use it only when nothing else touches the
   * directory.
   */
  SDK_AND_COMMANDS
}
