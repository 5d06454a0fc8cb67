package io.chatbuilder.core.internal;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.Sandbox;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the files a chat message refers to ({@link Attachment.FileReference}) through the app's
 * sandbox, with its path rules (a hostile path is refused there, never read) and its size limits,
 * so the conversation keeps the lines as they were when the message was sent. Not API.
 */
public final class AttachmentFiles {
  private AttachmentFiles() {}

  /**
   * The attachments with every file reference's content read now (a caller's content replaced).
   *
   * @throws io.chatbuilder.core.NotFoundException if a referenced file does not exist
   * @throws InvalidArgumentException if it is binary or the lines are past its end
   * @throws TooLargeException if the referenced text is longer than {@link Attachment#MAX_FILE_CHARS}
   */
  public static List<Attachment> resolve(Sandbox sandbox, List<Attachment> attachments) {
    List<Attachment> out = new ArrayList<>(attachments.size());
    for (Attachment a : attachments) {
      out.add(a instanceof Attachment.FileReference f ? f.withContent(read(sandbox, f)) : a);
    }
    return out;
  }

  private static String read(Sandbox sandbox, Attachment.FileReference ref) {
    FileContent content = sandbox.read(ref.path());
    if (content.binary()) {
      throw new InvalidArgumentException("attached file " + ref.path() + " is binary (" + content.size()
          + " bytes); only text files can be attached as files, images as images");
    }
    String text = content.text().orElse("");
    List<String> lines = lines(text);
    if (ref.startLine().isEmpty() && ref.endLine().isEmpty()) {
      if (text.length() > Attachment.MAX_FILE_CHARS) {
        throw new TooLargeException("attached file " + ref.path() + " has " + text.length() + " characters, more than "
            + Attachment.MAX_FILE_CHARS + "; refer to a range of its " + lines.size() + " lines (start_line, end_line)");
      }
      return numbered(lines, 0, lines.size());
    }
    int from = ref.startLine().orElse(1);
    if (from > Math.max(1, lines.size())) {
      throw new InvalidArgumentException("start_line " + from + " is past the end of " + ref.path() + ": it has "
          + lines.size() + " lines");
    }
    int to = Math.min(lines.size(), ref.endLine().orElse(lines.size()));
    String excerpt = numbered(lines, from - 1, to);
    if (excerpt.length() > Attachment.MAX_FILE_CHARS) {
      throw new TooLargeException("lines " + from + "-" + to + " of " + ref.path() + " have more than "
          + Attachment.MAX_FILE_CHARS + " characters; refer to fewer lines");
    }
    return excerpt;
  }

  /** The lines of a text, without their line breaks (LF or CRLF); none for an empty text. */
  private static List<String> lines(String text) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        int end = i > start && text.charAt(i - 1) == '\r' ? i - 1 : i;
        lines.add(text.substring(start, end));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      lines.add(text.substring(start));
    }
    return lines;
  }

  /** Lines {@code from} (0-based) to {@code to} (exclusive), each prefixed with its number as read_file does. */
  private static String numbered(List<String> lines, int from, int to) {
    int width = Integer.toString(Math.max(1, to)).length();
    StringBuilder out = new StringBuilder();
    for (int i = from; i < to; i++) {
      String n = Integer.toString(i + 1);
      out.append(" ".repeat(width - n.length())).append(n).append('\t').append(lines.get(i)).append('\n');
      if (out.length() > Attachment.MAX_FILE_CHARS) {
        break; // the caller refuses it; no need to number the rest
      }
    }
    return out.toString();
  }
}
