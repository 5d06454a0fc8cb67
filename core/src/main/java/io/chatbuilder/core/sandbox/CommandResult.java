package io.chatbuilder.core.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * How a command ended.
 *
 * @param exitCode the process's exit code; -1 if it was killed
 * @param truncated whether output beyond the policy's cap was dropped (the output then ends with a
 *     truncation marker)
 * @param isolated whether it ran isolated from the host (e.g. inside bubblewrap)
 */
public record CommandResult(
    int exitCode, String stdout, String stderr, boolean timedOut, boolean cancelled, boolean truncated, boolean isolated, Duration duration) {
  public CommandResult {
    Objects.requireNonNull(stdout, "stdout == null");
    Objects.requireNonNull(stderr, "stderr == null");
    Objects.requireNonNull(duration, "duration == null");
  }

  public boolean succeeded() {
    return exitCode == 0 && !timedOut && !cancelled;
  }
}
