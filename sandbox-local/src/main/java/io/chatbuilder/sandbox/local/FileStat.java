package io.chatbuilder.sandbox.local;

/**
 * What the stat cache remembers of a regular file: enough to notice any change without reading it
 * (size, modification and status-change times in nanoseconds, device and inode), as git's index does.
 * A ctime of {@link #UNKNOWN} (the stat raced with a swap, see {@code ConfinedFiles}) never compares
 * equal, so such a file is reported as possibly changed rather than missed.
 */
record FileStat(long size, long mtimeNanos, long ctimeNanos, long device, long inode) {
  static final long UNKNOWN = Long.MIN_VALUE;

  /** A stat whose ctime, device and inode could not be read safely. */
  static FileStat withoutCtime(long size, long mtimeNanos) {
    return new FileStat(size, mtimeNanos, UNKNOWN, UNKNOWN, UNKNOWN);
  }

  /** Whether the file looks unchanged by metadata alone. */
  boolean sameAs(FileStat other) {
    return ctimeNanos != UNKNOWN && other.ctimeNanos != UNKNOWN
        && size == other.size && mtimeNanos == other.mtimeNanos && ctimeNanos == other.ctimeNanos
        && device == other.device && inode == other.inode;
  }
}
