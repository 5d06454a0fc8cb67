package io.chatbuilder.sandbox.remote;

/** One server-sent event: its {@code id:} (0 when absent), {@code event:} type and data. */
record SseEvent(long id, String type, String data) {}
