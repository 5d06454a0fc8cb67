package io.chatbuilder.spring.autoconfigure;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import okio.BufferedSource;

/** Reads Server-Sent Events frames from a response body until it ends. */
final class Sse {
  record Frame(long id, String event, String data) {}

  private Sse() {}

  static List<Frame> readAll(BufferedSource source) throws IOException {
    return read(source, Integer.MAX_VALUE);
  }

  /** At most {@code max} frames: for streams that stay open, like the app stream. */
  static List<Frame> read(BufferedSource source, int max) throws IOException {
    List<Frame> frames = new ArrayList<>();
    String id = null;
    String event = null;
    StringBuilder data = null;
    String line;
    while (frames.size() < max && (line = source.readUtf8Line()) != null) {
      if (line.isEmpty()) {
        if (data != null) {
          frames.add(new Frame(Long.parseLong(id), event, data.toString()));
        }
        id = null;
        event = null;
        data = null;
      } else if (line.startsWith("id:")) {
        id = line.substring(3).strip();
      } else if (line.startsWith("event:")) {
        event = line.substring(6).strip();
      } else if (line.startsWith("data:")) {
        data = (data == null ? new StringBuilder() : data.append('\n')).append(line.substring(5).strip());
      }
    }
    return frames;
  }
}
