package io.chatbuilder.core.checkpoint;

/** How the run that recorded an {@code agent_run} checkpoint ended. */
public enum RunOutcome {
  COMPLETED("completed"),
  FAILED("failed"),
  CANCELLED("cancelled");

  private final String wireName;

  RunOutcome(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static RunOutcome fromWireName(String name) {
    for (RunOutcome outcome : values()) {
      if (outcome.wireName.equals(name)) {
        return outcome;
      }
    }
    throw new IllegalArgumentException("unknown run outcome: " + name);
  }
}
