package io.chatbuilder.core.sandbox;

/** What a write did to the file. */
public enum WriteOutcome {
  CREATED,
  MODIFIED,
  /** The file already had exactly these bytes; nothing was written. */
  UNCHANGED
}
