package io.chatbuilder.core.runtime;

import io.chatbuilder.core.RunHandle;
import java.util.List;

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

  /**
   * Brings the files the app's package manager derives from others up to date (the lockfile after
   * {@code package.json} changed, or a lockfile for an app without one), inside {@code sandbox}.
   * The facade calls it with the app's lease held, right before it records the checkpoint of a run
   * or of a new app, so a dependency change and its lockfile are recorded (and undone) together,
   * and {@code npm ci} of that checkpoint installs exactly what it records. Returns whether it
   * changed a file. Nothing by default.
   *
   * @throws io.chatbuilder.core.ChatBuilderException if the package manager fails (the facade
   *     reports it as a status and records the checkpoint anyway)
   */
  default boolean syncLockfile(String appId, io.chatbuilder.core.sandbox.Sandbox sandbox, StatusListener listener) {
    java.util.Objects.requireNonNull(appId, "appId == null");
    java.util.Objects.requireNonNull(sandbox, "sandbox == null");
    java.util.Objects.requireNonNull(listener, "listener == null");
    return false;
  }

  /** The current status; {@link DraftState#STOPPED} for an app never started. */
  DraftStatus status(String appId);

  /** Stops the app's dev server and its process tree. No effect if it is not running. */
  void stop(String appId);

  /**
   * What the app's preview reported (compile errors, uncaught errors, unhandled rejections,
   * {@code console.error}), deduplicated with counts, oldest first; bounded by the runtime. Empty
   * for a runtime without preview diagnostics.
   */
  default List<PreviewDiagnostic> diagnostics(String appId) {
    return List.of();
  }

  /** Forgets the app's diagnostics, e.g. after the agent fixed what they reported. */
  default void clearDiagnostics(String appId) {}

  /**
   * Delivers diagnostics of every app as they arrive, until the subscription is closed. A runtime
   * without preview diagnostics never calls it.
   */
  default RunHandle.Subscription onDiagnostic(DiagnosticListener listener) {
    java.util.Objects.requireNonNull(listener, "listener == null");
    return () -> { };
  }

  /** Stops every dev server. */
  @Override
  void close();
}
