package io.chatbuilder.core.event;

/** Receives events as a run emits them, in {@code seq} order, on the run's thread. Keep it quick. */
@FunctionalInterface
public interface EventListener {
  void onEvent(Event event);
}
