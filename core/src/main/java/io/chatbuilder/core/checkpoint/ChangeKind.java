package io.chatbuilder.core.checkpoint;

/** What happened to one file between two states. */
public enum ChangeKind {
  ADDED("added"),
  MODIFIED("modified"),
  DELETED("deleted"),
  RENAMED("renamed");

  private final String wireName;

  ChangeKind(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static ChangeKind fromWireName(String name) {
    for (ChangeKind kind : values()) {
      if (kind.wireName.equals(name)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("unknown change kind: " + name);
  }
}
