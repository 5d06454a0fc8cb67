package io.chatbuilder.core.runtime;

/** Receives progress lines such as "installing dependencies" while a draft starts or a publish builds. */
@FunctionalInterface
public interface StatusListener {
  StatusListener NONE = message -> { };

  void onStatus(String message);
}
