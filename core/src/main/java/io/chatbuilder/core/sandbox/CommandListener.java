package io.chatbuilder.core.sandbox;

/** Receives a command's output while it runs, so a UI can show {@code npm install} live. */
public interface CommandListener {
  CommandListener NONE = new CommandListener() {};

  default void onStdout(String chunk) {}

  default void onStderr(String chunk) {}
}
