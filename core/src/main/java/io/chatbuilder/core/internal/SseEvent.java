package io.chatbuilder.core.internal;

import java.util.Objects;

/**
 * One dispatched server-sent event: its own {@code id:} field (empty when the event had none — the
 * "last event id" a reconnecting client sends is the caller's to keep), its {@code event:} name
 * (empty when absent) and its data lines joined with LF.
 */
public record SseEvent(String id, String event, String data) {
  public SseEvent {
    Objects.requireNonNull(id, "id == null");
    Objects.requireNonNull(event, "event == null");
    Objects.requireNonNull(data, "data == null");
  }
}
