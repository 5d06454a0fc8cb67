package io.chatbuilder.core.event;

/** Receives an app's events in {@code seq} order, with no gap and no duplicate. Keep it quick. */
@FunctionalInterface
public interface AppEventListener {
  void onEvent(AppEvent event);
}
