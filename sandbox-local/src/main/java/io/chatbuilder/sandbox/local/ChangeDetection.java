package io.chatbuilder.sandbox.local;

/** How a {@link LocalSandbox} notices changes it did not make itself. */
public enum ChangeDetection {
  /**
   * The default: directory watches (inotify through Java's {@code WatchService}, as git's fsmonitor)
   * name the paths that may have changed, by anyone (the SDK, a command in bubblewrap, a person,
   * another program), so a scan costs O(changed paths). Event overflow, a watch limit reached or a
   * platform without native watching fall back to a full stat scan (logged once), never to a missed
   * change. Not seen: writes through a hard link outside the root and writes through a shared
   * {@code mmap}, which inotify does not report (nor does git's fsmonitor).
   */
  WATCH,

  /**
   * Every {@code scanChanges()} stats the whole tree (one {@code lstat} per file, no reads except
   * files modified in the last two seconds), so edits by anyone (a command, a person, another
   * program) are caught.
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
