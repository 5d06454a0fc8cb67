package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.InvalidArgumentException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A command to run in the sandbox: an argument vector (never a shell line), a working directory
 * relative to the root, extra environment variables (filtered by the policy) and an optional
 * timeout (the policy's default and maximum apply).
 */
public record CommandRequest(List<String> argv, String workingDirectory, Map<String, String> environment, Optional<Duration> timeout) {
  public CommandRequest {
    argv = List.copyOf(Objects.requireNonNull(argv, "argv == null"));
    if (argv.isEmpty() || argv.get(0).isBlank()) {
      throw new InvalidArgumentException("command is empty");
    }
    Objects.requireNonNull(workingDirectory, "workingDirectory == null");
    environment = Map.copyOf(new TreeMap<>(Objects.requireNonNull(environment, "environment == null")));
    Objects.requireNonNull(timeout, "timeout == null");
  }

  public static CommandRequest of(String... argv) {
    return new CommandRequest(List.of(argv), "", Map.of(), Optional.empty());
  }

  public CommandRequest withTimeout(Duration timeout) {
    return new CommandRequest(argv, workingDirectory, environment, Optional.of(timeout));
  }
}
