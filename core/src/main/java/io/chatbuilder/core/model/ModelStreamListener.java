package io.chatbuilder.core.model;

/** Receives a model turn while it streams. Called on the thread that called the model. */
@FunctionalInterface
public interface ModelStreamListener {
  /** A chunk of assistant text, in order. */
  void onTextDelta(String text);
}
