package io.chatbuilder.core.runtime;

/**
 * Draft mode: a live dev server per app whose preview updates as the agent edits (Vite HMR). Local
 * implementations run Vite next to the sandbox's directory; remote ones ask the sandbox host.
 * Thread-safe.
 */
public interface DraftRuntime extends AutoCloseable {

  /**
   * Installs dependencies if needed (also when {@code package.json} changed since the last install)
   * and starts the app's dev server, or returns the running one. Blocks until it serves or fails.
   */
  DraftStatus start(String appId, StatusListener listener);

  /** The current status; {@link DraftState#STOPPED} for an app never started. */
  DraftStatus status(String appId);

  /** Stops the app's dev server and its process tree. No effect if it is not running. */
  void stop(String appId);

  /** Stops every dev server. */
  @Override
  void close();
}
