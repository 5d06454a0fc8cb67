package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.sandbox.CommandListener;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Turns a sandbox's output chunks (which split lines anywhere) into whole lines, stdout and stderr
 * kept apart so their lines do not mix. Thread-safe; {@link #flush} hands over unterminated rests.
 */
final class Lines implements CommandListener {
  /** A line longer than this is handed over in pieces, so a process cannot grow the buffer forever. */
  private static final int MAX_PENDING = 64 * 1024;

  private final Consumer<String> sink;
  private final StringBuilder stdout = new StringBuilder();
  private final StringBuilder stderr = new StringBuilder();

  Lines(Consumer<String> sink) {
    this.sink = Objects.requireNonNull(sink, "sink == null");
  }

  @Override
  public void onStdout(String chunk) {
    append(stdout, chunk);
  }

  @Override
  public void onStderr(String chunk) {
    append(stderr, chunk);
  }

  /** Hands over what is left of unterminated lines. */
  synchronized void flush() {
    for (StringBuilder pending : new StringBuilder[] {stdout, stderr}) {
      if (pending.length() > 0) {
        String rest = pending.toString();
        pending.setLength(0);
        sink.accept(rest);
      }
    }
  }

  private synchronized void append(StringBuilder pending, String chunk) {
    int start = 0;
    int nl;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      pending.append(chunk, start, nl);
      String line = pending.toString();
      pending.setLength(0);
      sink.accept(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
      start = nl + 1;
    }
    pending.append(chunk, start, chunk.length());
    if (pending.length() > MAX_PENDING) {
      String piece = pending.toString();
      pending.setLength(0);
      sink.accept(piece);
    }
  }
}
