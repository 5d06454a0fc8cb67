package io.chatbuilder.core.runtime;

import java.util.SortedMap;

/**
 * The files a new app starts from (e.g. Vite + vanilla JS, Vite + React), including a committed
 * {@code package-lock.json} so installs are reproducible. Its files become the app's
 * {@code initial} checkpoint.
 */
public interface AppTemplate {
  /** Short stable id, e.g. {@code vite-react}. */
  String id();

  /** One line for a template picker. */
  String description();

  /** Path to content; paths are relative and {@code /}-separated. */
  SortedMap<String, byte[]> files();
}
