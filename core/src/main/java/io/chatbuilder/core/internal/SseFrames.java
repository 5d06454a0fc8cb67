package io.chatbuilder.core.internal;

/**
 * The project's one writer of server-sent event frames (the remote sandbox's process output, the
 * studio's streams), the counterpart of {@link SseReader}. Data with line breaks becomes several
 * {@code data:} lines, so any text round-trips; ids and names cannot contain line breaks.
 */
public final class SseFrames {
  private SseFrames() {}

  /** One event: {@code id} and {@code event} may be empty (then left out). */
  public static String event(String id, String event, String data) {
    StringBuilder sb = new StringBuilder(data.length() + 32);
    if (!id.isEmpty()) {
      sb.append("id: ").append(singleLine(id, "id")).append('\n');
    }
    if (!event.isEmpty()) {
      sb.append("event: ").append(singleLine(event, "event")).append('\n');
    }
    int start = 0;
    int n = data.length();
    for (int i = 0; i < n; i++) {
      char c = data.charAt(i);
      if (c == '\r' || c == '\n') {
        sb.append("data: ").append(data, start, i).append('\n');
        if (c == '\r' && i + 1 < n && data.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    sb.append("data: ").append(data, start, n).append("\n\n");
    return sb.toString();
  }

  /** A comment frame (heartbeats, stream openers); readers skip it. */
  public static String comment(String text) {
    return ": " + singleLine(text, "comment") + "\n\n";
  }

  private static String singleLine(String value, String what) {
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("an SSE " + what + " cannot contain a line break");
    }
    return value;
  }
}
