package io.chatbuilder.sandbox.remote;

import java.io.IOException;
import okio.BufferedSource;

/**
 * Reads server-sent events (the text/event-stream format) from a response body. An event is only
 * returned once its terminating blank line arrived, so an event cut off by a dropped connection is
 * never half-delivered: the client re-attaches and receives it whole.
 */
final class SseReader {
  private final BufferedSource source;

  SseReader(BufferedSource source) {
    this.source = source;
  }

  /** The next complete event, or null at the end of the stream. */
  SseEvent next() throws IOException {
    long id = 0;
    String type = "message";
    StringBuilder data = null;
    while (true) {
      if (source.exhausted()) {
        return null; // a partial event before the end is dropped on purpose
      }
      long newline = source.indexOf((byte) '\n');
      if (newline < 0) {
        // A line without its newline can only be the tail of a cut stream: drop it.
        source.skip(source.getBuffer().size());
        continue;
      }
      String line = source.readUtf8(newline);
      source.skip(1);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isEmpty()) {
        if (data != null) {
          return new SseEvent(id, type, data.toString());
        }
        id = 0;
        type = "message";
        continue;
      }
      if (line.startsWith(":")) {
        continue; // comment / heartbeat
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "id" -> {
          try {
            id = Long.parseLong(value.trim());
          } catch (NumberFormatException e) {
            throw new IOException("malformed event id '" + value + "'");
          }
        }
        case "event" -> type = value;
        case "data" -> {
          if (data == null) {
            data = new StringBuilder(value);
          } else {
            data.append('\n').append(value);
          }
        }
        default -> { } // unknown fields are ignored, as the SSE specification says
      }
    }
  }
}
