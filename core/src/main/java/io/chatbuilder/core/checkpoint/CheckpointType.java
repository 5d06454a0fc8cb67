package io.chatbuilder.core.checkpoint;

/** Why a checkpoint was recorded (DESIGN §3.2). */
public enum CheckpointType {
  /** The first files of an app. */
  INITIAL("initial"),
  /** The end of an agent run that changed files (completed, failed or cancelled). */
  AGENT_RUN("agent_run"),
  /** An undo of the latest change that was not already undone. */
  UNDO("undo"),
  /** A redo of the latest undone change. */
  REDO("redo"),
  /** A jump to any earlier checkpoint's files. */
  RESTORE("restore"),
  /** One file set to its content in a chosen checkpoint. */
  REVERT_FILE("revert_file"),
  /** Edits made outside the agent (a command, a person), or a checkpoint requested by the host. */
  MANUAL("manual"),
  /**
   * The first checkpoint of an app forked from another app's checkpoint: its revision is the
   * source's (shared, nothing copied); {@link Checkpoint#sourceAppId()} and
   * {@link Checkpoint#sourceCheckpointId()} say where it came from. Like {@link #INITIAL} it is not
   * a change: it cannot be undone.
   */
  FORK("fork");

  private final String wireName;

  CheckpointType(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** Whether this checkpoint is a new change (pushes onto the undo stack and clears redo). */
  public boolean isChange() {
    return this == AGENT_RUN || this == RESTORE || this == REVERT_FILE || this == MANUAL;
  }

  /** Whether this checkpoint moves the files to other recorded content (undo, redo, restore, revert-file). */
  public boolean isHistoryMove() {
    return this == UNDO || this == REDO || this == RESTORE || this == REVERT_FILE;
  }

  public static CheckpointType fromWireName(String name) {
    for (CheckpointType type : values()) {
      if (type.wireName.equals(name)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown checkpoint type: " + name);
  }
}
