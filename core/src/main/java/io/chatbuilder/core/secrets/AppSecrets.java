package io.chatbuilder.core.secrets;

import java.util.Map;
import java.util.SortedSet;

/**
 * An app's secrets (environment variables such as API keys), kept apart from its files: the host
 * fills them, the draft runtime and the publisher read them. They are never written into the app's
 * directory, so no checkpoint, change scan or tool sees them, and the facade never puts them into an
 * event or a model request. Which of them reach a process is the runtime's setting (by default only
 * {@code VITE_*} ones, which Vite exposes to the page as {@code import.meta.env}).
 *
 * <p>Implementations are thread-safe. {@link InMemoryAppSecrets} keeps them in memory.
 */
public interface AppSecrets {

  /**
   * Sets a secret.
   *
   * @throws io.chatbuilder.core.InvalidArgumentException if the app id, the name (letters, digits and
   *     {@code _}, not starting with a digit, at most 128) or the value (no NUL, at most 32 KiB) is
   *     not acceptable
   */
  void put(String appId, String name, String value);

  /** Removes a secret; returns whether there was one. */
  boolean remove(String appId, String name);

  /** The names of the app's secrets, never their values (for a settings page). */
  SortedSet<String> names(String appId);

  /** The app's secrets by name; for runtimes that inject them into a process. */
  Map<String, String> values(String appId);
}
