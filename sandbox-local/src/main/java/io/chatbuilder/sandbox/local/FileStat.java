package io.chatbuilder.sandbox.local;

/**
 * What the stat cache remembers of a regular file: enough to notice any change without reading it
 * (size, modification and status-change times in nanoseconds, device and inode), as git's index does.
 */
record FileStat(long size, long mtimeNanos, long ctimeNanos, long device, long inode) {

  /** Whether the file looks unchanged by metadata alone. */
  boolean sameAs(FileStat other) {
    return size == other.size && mtimeNanos == other.mtimeNanos && ctimeNanos == other.ctimeNanos
        && device == other.device && inode == other.inode;
  }
}
