package io.chatbuilder.core.internal;

import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ModelStreamListener;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Turns one model turn's stream into run events: {@code assistant_delta} and
 * {@code reasoning_delta} as they come, {@code tool_input_delta} coalesced per call. Not API.
 *
 * <p>A model writes tool arguments in fragments of a few characters; one event each would flood
 * the event log and every SSE client. A call's fragments are buffered and flushed when
 * {@link #FLUSH_INTERVAL_NANOS} passed since its last event or {@link #FLUSH_CHARS} are buffered,
 * whichever comes first, so a call gets at most one event per 50 ms plus one per KiB, besides the
 * one that announces it and the last one. The check runs when a fragment arrives (no timer
 * thread); {@link #finish()} flushes the rest and must run before the turn's tool calls start.
 */
public final class ModelStreamEvents implements ModelStreamListener {
  static final long FLUSH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  static final int FLUSH_CHARS = 1024;

  private final RunEvents events;
  private final int step;
  private final LongSupplier nanoTime;
  private final Map<String, Call> calls = new LinkedHashMap<>();

  public ModelStreamEvents(RunEvents events, int step) {
    this(events, step, System::nanoTime);
  }

  ModelStreamEvents(RunEvents events, int step, LongSupplier nanoTime) {
    this.events = Objects.requireNonNull(events, "events == null");
    this.step = step;
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime == null");
  }

  @Override
  public void onTextDelta(String text) {
    events.emit((a, r, s, t) -> new Event.AssistantDelta(a, r, s, t, step, text));
  }

  @Override
  public void onReasoningDelta(String text) {
    if (!text.isEmpty()) {
      events.emit((a, r, s, t) -> new Event.ReasoningDelta(a, r, s, t, step, text));
    }
  }

  @Override
  public void onToolCallStarted(String callId, String toolName) {
    if (calls.containsKey(callId)) {
      return;
    }
    Call call = new Call(callId, toolName);
    calls.put(callId, call);
    // Announced at once: the UI shows the card while the arguments are still being written.
    flush(call);
  }

  @Override
  public void onToolInputDelta(String callId, String fragment) {
    if (fragment.isEmpty()) {
      return;
    }
    // A provider that skipped the start still gets its fragments shown, under an empty tool name.
    Call call = calls.computeIfAbsent(callId, id -> new Call(id, ""));
    call.buffer.append(fragment);
    if (call.buffer.length() >= FLUSH_CHARS || !call.announced
        || nanoTime.getAsLong() - call.lastFlushNanos >= FLUSH_INTERVAL_NANOS) {
      flush(call);
    }
  }

  /** Emits what is still buffered, call by call in the order they started. */
  public void finish() {
    for (Call call : calls.values()) {
      if (call.buffer.length() > 0) {
        flush(call);
      }
    }
  }

  private void flush(Call call) {
    String fragment = call.buffer.toString();
    long offset = call.offset;
    events.emit((a, r, s, t) -> new Event.ToolInputDelta(a, r, s, t, step, call.id, call.toolName, offset, fragment));
    call.offset += fragment.length();
    call.buffer.setLength(0);
    call.announced = true;
    call.lastFlushNanos = nanoTime.getAsLong();
  }

  private static final class Call {
    final String id;
    final String toolName;
    final StringBuilder buffer = new StringBuilder();
    long offset;
    long lastFlushNanos;
    boolean announced;

    Call(String id, String toolName) {
      this.id = id;
      this.toolName = toolName;
    }
  }
}
