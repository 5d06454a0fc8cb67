package io.chatbuilder.models;

import io.chatbuilder.core.ModelException;
import java.io.IOException;
import java.util.Objects;
import okio.Buffer;
import okio.BufferedSource;

/**
 * Reads server-sent events from a byte stream, following the WHATWG event-stream rules: lines end
 * with CRLF, LF or CR; {@code field:value} with one optional space after the colon; comment lines
 * start with a colon; consecutive {@code data} lines are joined with LF; a blank line dispatches.
 *
 * <p>Lines are collected as bytes and decoded only once complete, so a multi-byte UTF-8 character
 * split across network reads decodes correctly. A line longer than the bound fails instead of
 * growing without limit. One leniency: a stream that ends right after a complete line without the
 * final blank line still dispatches that event (several servers end with {@code data: [DONE]\n});
 * a partial line at end of stream is dropped, so the caller sees a truncated stream.
 */
final class SseReader {
  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final BufferedSource source;
  private final long maxLineBytes;
  private final String provider;
  private final Buffer line = new Buffer();
  private boolean skipLeadingLf;
  private boolean started;

  SseReader(BufferedSource source, long maxLineBytes, String provider) {
    this.source = Objects.requireNonNull(source, "source == null");
    this.maxLineBytes = maxLineBytes;
    this.provider = Objects.requireNonNull(provider, "provider == null");
  }

  /** The next event, or {@code null} at the end of the stream. */
  SseEvent next() throws IOException {
    String eventName = "";
    StringBuilder data = null;
    while (true) {
      String text = readLine();
      if (text == null) {
        return data == null ? null : new SseEvent(eventName, stripLastNewline(data));
      }
      if (text.isEmpty()) {
        if (data != null) {
          return new SseEvent(eventName, stripLastNewline(data));
        }
        eventName = "";
        continue;
      }
      if (text.charAt(0) == ':') {
        continue; // comment or keep-alive
      }
      int colon = text.indexOf(':');
      String field = colon < 0 ? text : text.substring(0, colon);
      String value = colon < 0 ? "" : text.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "event" -> eventName = value;
        case "data" -> {
          if (data == null) {
            data = new StringBuilder();
          }
          if (data.length() + value.length() > maxLineBytes) {
            throw new ModelException(provider + " sent a server-sent event larger than " + maxLineBytes + " bytes", false);
          }
          data.append(value).append('\n');
        }
        default -> {
          // id, retry and unknown fields carry nothing a model turn needs
        }
      }
    }
  }

  /** A complete line without its terminator, or null at end of stream (dropping a partial line). */
  private String readLine() throws IOException {
    line.clear();
    while (true) {
      if (!source.request(1)) {
        line.clear();
        return null;
      }
      byte b = source.readByte();
      if (skipLeadingLf) {
        skipLeadingLf = false;
        if (b == LF) {
          continue; // second half of a CRLF split across reads
        }
      }
      if (b == LF) {
        return decode();
      }
      if (b == CR) {
        // Do not wait for the next byte: a CR-terminated line is complete now.
        skipLeadingLf = true;
        return decode();
      }
      line.writeByte(b);
      if (line.size() > maxLineBytes) {
        throw new ModelException(provider + " sent a line longer than " + maxLineBytes + " bytes in its event stream", false);
      }
    }
  }

  private String decode() {
    String text = line.readUtf8();
    if (!started) {
      started = true;
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
    }
    return text;
  }

  private static String stripLastNewline(StringBuilder data) {
    int n = data.length();
    return n > 0 && data.charAt(n - 1) == '\n' ? data.substring(0, n - 1) : data.toString();
  }
}
