package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A long-running process of an app (a dev server) to start with {@link Sandbox#startService}: an
 * argument vector (never a shell line), a working directory relative to the root, environment
 * variables chosen by the host (never by the agent; the sandbox still decides {@code PATH},
 * {@code HOME} and {@code TMPDIR}), and the TCP port the process listens on inside the sandbox.
 *
 * <p>The port is the service's own, on the sandbox's loopback; the host reaches it only through
 * {@link SandboxService#endpoint()}, never by connecting to that port itself.
 *
 * @param name a short label for logs and thread names, e.g. {@code vite}
 */
public record ServiceRequest(String name, List<String> argv, String workingDirectory, Map<String, String> environment, int port) {
  public ServiceRequest {
    Objects.requireNonNull(name, "name == null");
    if (!name.matches("[A-Za-z0-9_-]{1,32}")) {
      throw new InvalidArgumentException("service name must be 1-32 letters, digits, '_' or '-': " + name);
    }
    argv = List.copyOf(Objects.requireNonNull(argv, "argv == null"));
    if (argv.isEmpty() || argv.get(0).isBlank()) {
      throw new InvalidArgumentException("service command is empty");
    }
    Objects.requireNonNull(workingDirectory, "workingDirectory == null");
    environment = Map.copyOf(new TreeMap<>(Objects.requireNonNull(environment, "environment == null")));
    if (port < 1 || port > 65535) {
      throw new InvalidArgumentException("service port must be in 1..65535: " + port);
    }
  }
}
