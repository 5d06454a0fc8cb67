package io.chatbuilder.core.sandbox;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * A running service of a sandbox (see {@link Sandbox#startService}): a process tree under the same
 * isolation, policy, environment scrub and limits as commands, that lives until it exits or is
 * closed. Thread-safe.
 */
public interface SandboxService extends AutoCloseable {

  /** The request's name. */
  String name();

  /**
   * The base URI at which the host that runs this JVM reaches the service's port, e.g.
   * {@code http://127.0.0.1:40123/}. It is a bridge the sandbox made into its own network; the
   * app's code inside the sandbox cannot use it to reach the host.
   */
  URI endpoint();

  /** Whether the process tree still runs. */
  boolean isAlive();

  /** Completes with the exit code when the service's process ends (-1 when it was killed). */
  CompletableFuture<Integer> exited();

  /** Whether it runs isolated from the host (false only where the host opted into running unisolated). */
  boolean isolated();

  /** Kills the whole process tree and closes the bridge. Idempotent. */
  @Override
  void close();
}
