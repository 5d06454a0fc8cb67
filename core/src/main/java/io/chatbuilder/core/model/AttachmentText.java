package io.chatbuilder.core.model;

import java.util.List;

/** How attachments read as text in the user turn ({@link ChatMessage.User#textWithContext()}). */
final class AttachmentText {
  private AttachmentText() {}

  static String render(String text, List<Attachment> attachments) {
    if (attachments.isEmpty()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 256);
    out.append(text).append("\n\n<attachments>\n");
    int image = 0;
    for (Attachment a : attachments) {
      if (a instanceof Attachment.ElementSelection e) {
        out.append("Selected element <").append(e.tag()).append("> at ").append(e.file()).append(':').append(e.line())
            .append(':').append(e.column());
        e.text().ifPresent(t -> out.append(" with text ").append(quoted(t)));
        out.append('\n');
      } else if (a instanceof Attachment.FileReference f) {
        out.append("File ").append(f.describe());
        if (f.content().isPresent()) {
          String content = f.content().get();
          String fence = fence(content);
          out.append(":\n").append(fence).append('\n').append(content);
          if (!content.isEmpty() && !content.endsWith("\n")) {
            out.append('\n');
          }
          out.append(fence).append('\n');
        } else {
          out.append(" (not read)\n");
        }
      } else if (a instanceof Attachment.DiagnosticReport d) {
        out.append("Preview error (").append(d.kind().wireName()).append(')');
        if (!d.location().isEmpty()) {
          out.append(" at ").append(d.location());
        }
        out.append(": ").append(d.message().strip()).append('\n');
      } else if (a instanceof Attachment.Image i) {
        image++;
        out.append("Image ").append(image);
        i.name().ifPresent(n -> out.append(' ').append(quoted(n)));
        out.append(" (").append(i.mediaType()).append(", ").append(i.size()).append(" bytes) is attached to this message.\n");
      }
    }
    return out.append("</attachments>").toString();
  }

  /** A JSON-style quoted string: line breaks and quotes escaped, so the text cannot end the line. */
  private static String quoted(String s) {
    StringBuilder q = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        case '\t' -> q.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7F) {
            q.append(String.format("\\u%04x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }

  /** A code fence longer than any run of backticks in the content. */
  private static String fence(String content) {
    int longest = 0;
    int run = 0;
    for (int i = 0; i < content.length(); i++) {
      run = content.charAt(i) == '`' ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    return "`".repeat(Math.max(3, longest + 1));
  }
}
