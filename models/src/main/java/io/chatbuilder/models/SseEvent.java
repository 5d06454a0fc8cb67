package io.chatbuilder.models;

import java.util.Objects;

/** One dispatched server-sent event: its {@code event:} name (empty when absent) and its joined data lines. */
record SseEvent(String event, String data) {
  SseEvent {
    Objects.requireNonNull(event, "event == null");
    Objects.requireNonNull(data, "data == null");
  }
}
