package io.chatbuilder.core.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The project's one reader of server-sent events (model providers' streams, the remote sandbox's
 * process output), following the WHATWG event-stream rules: lines end with CRLF, LF or CR;
 * {@code field:value} with one optional space after the colon; comment lines start with a colon;
 * consecutive {@code data} lines are joined with LF; a blank line dispatches; a leading BOM is
 * skipped.
 *
 * <p>Lines are collected as bytes and decoded once complete, so a multi-byte UTF-8 character split
 * across network reads decodes intact, and a CR-terminated line is returned at once, without
 * waiting for a byte that may never come. Lines and events are bounded: a longer one fails with
 * {@link TooLargeEventException} instead of growing without limit.
 *
 * <p>What happens to an event the stream cut off is the caller's choice: with
 * {@link EndOfStream#DROP_UNTERMINATED} only events closed by their blank line are returned (a
 * client that re-attaches receives the rest whole); with {@link EndOfStream#DISPATCH_COMPLETE_LINES}
 * complete lines before the end still dispatch (several model servers end with
 * {@code data: [DONE]\n}). A partial line at the end is always dropped. Not thread-safe.
 */
public final class SseReader {
  private static final int CR = '\r';
  private static final int LF = '\n';

  /** What the end of the stream does to an event whose blank line never came. */
  public enum EndOfStream {
    DROP_UNTERMINATED,
    DISPATCH_COMPLETE_LINES
  }

  /** A line or an event over the reader's bound. */
  public static final class TooLargeEventException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeEventException(String message) {
      super(message);
    }
  }

  private final InputStream in;
  private final long maxBytes;
  private final EndOfStream endOfStream;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private boolean skipLeadingLf;
  private boolean started;

  /**
   * @param in the stream, read byte by byte (pass a buffered one)
   * @param maxBytes the bound of one line and of one event's data
   */
  public SseReader(InputStream in, long maxBytes, EndOfStream endOfStream) {
    this.in = Objects.requireNonNull(in, "in == null");
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    this.maxBytes = maxBytes;
    this.endOfStream = Objects.requireNonNull(endOfStream, "endOfStream == null");
  }

  /** The next event, or {@code null} at the end of the stream. */
  public SseEvent next() throws IOException {
    String id = "";
    String eventName = "";
    StringBuilder data = null;
    while (true) {
      String text = readLine();
      if (text == null) {
        return data == null || endOfStream == EndOfStream.DROP_UNTERMINATED ? null : dispatch(id, eventName, data);
      }
      if (text.isEmpty()) {
        if (data != null) {
          return dispatch(id, eventName, data);
        }
        id = "";
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
        case "id" -> {
          if (value.indexOf('\0') < 0) {
            id = value; // the specification ignores ids containing NUL
          }
        }
        case "event" -> eventName = value;
        case "data" -> {
          if (data == null) {
            data = new StringBuilder();
          }
          if (data.length() + value.length() > maxBytes) {
            throw new TooLargeEventException("a server-sent event larger than " + maxBytes + " bytes");
          }
          data.append(value).append('\n');
        }
        default -> {
          // retry and unknown fields are ignored, as the specification says
        }
      }
    }
  }

  private static SseEvent dispatch(String id, String eventName, StringBuilder data) {
    int n = data.length();
    String joined = n > 0 && data.charAt(n - 1) == '\n' ? data.substring(0, n - 1) : data.toString();
    return new SseEvent(id, eventName, joined);
  }

  /** A complete line without its terminator, or null at end of stream (dropping a partial line). */
  private String readLine() throws IOException {
    line.reset();
    while (true) {
      int b = in.read();
      if (b < 0) {
        line.reset();
        return null;
      }
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
        skipLeadingLf = true;
        return decode();
      }
      line.write(b);
      if (line.size() > maxBytes) {
        throw new TooLargeEventException("a line longer than " + maxBytes + " bytes in an event stream");
      }
    }
  }

  private String decode() {
    String text = line.toString(StandardCharsets.UTF_8);
    if (!started) {
      started = true;
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
    }
    return text;
  }
}
