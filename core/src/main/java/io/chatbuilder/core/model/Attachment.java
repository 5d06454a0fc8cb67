package io.chatbuilder.core.model;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.sandbox.SandboxPaths;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Context a person attaches to a chat message: an element selected in the preview, a reference to a
 * file (or some of its lines), a preview error ("Fix this"), or an image (a screenshot or a
 * mock-up). Kept on {@link ChatMessage.User}; the model sees selections, files and errors as text of
 * the user turn ({@link ChatMessage.User#textWithContext()}) and images as image parts.
 *
 * <p>Every record checks itself when built: paths go through {@link SandboxPaths#normalize} (and are
 * kept normalized), lines and columns count from 1, texts have a maximum length, and an image's bytes
 * must be valid base64 of at most {@link #MAX_IMAGE_BYTES} that start with its media type's magic
 * number. A bad value is an {@link InvalidArgumentException} (or {@code PathRefusedException},
 * {@link TooLargeException}) that says what is wrong. The JSON form is {@code JsonCodec}'s
 * ({@code attachmentFromTree} / {@code attachmentToTree}).
 */
public sealed interface Attachment {

  /** Most decoded bytes of one image (3 MiB: its base64 stays under every provider's per-image limit). */
  int MAX_IMAGE_BYTES = 3 * 1024 * 1024;
  /** Longest text of a selected element, diagnostic message or image name. */
  int MAX_TEXT_CHARS = 4_000;
  /** Longest diagnostic message. */
  int MAX_MESSAGE_CHARS = 20_000;
  /** Longest file excerpt a reference may carry (as {@code read_file} returns at most). */
  int MAX_FILE_CHARS = 100_000;

  /** The wire name of this kind: {@code element}, {@code file}, {@code diagnostic} or {@code image}. */
  String type();

  /**
   * An element the person selected in the preview, at its source location.
   *
   * @param file app-relative source file, e.g. {@code src/App.tsx}
   * @param line 1-based line of the element's opening tag
   * @param column 1-based column of the element's opening tag
   * @param tag the element's tag name, e.g. {@code button} or {@code my-widget}
   * @param text its visible text, where the preview gave one
   */
  record ElementSelection(String file, int line, int column, String tag, Optional<String> text) implements Attachment {
    public static final String TYPE = "element";
    private static final Pattern TAG = Pattern.compile("[A-Za-z][A-Za-z0-9._:-]{0,63}");

    public ElementSelection {
      file = checkedPath(file, "file");
      positive(line, "line");
      positive(column, "column");
      Objects.requireNonNull(tag, "tag == null");
      if (!TAG.matcher(tag).matches()) {
        throw new InvalidArgumentException("element tag must be a tag name (a letter, then up to 63 letters, digits, '-', "
            + "'_', '.' or ':'): '" + abbreviate(tag) + "'");
      }
      Objects.requireNonNull(text, "text == null");
      text.ifPresent(t -> limit(t, MAX_TEXT_CHARS, "element text"));
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * A file the person pointed at, whole or some of its lines. {@code content} is what the model is
   * shown: the facade reads it through the app's sandbox when the message is sent (whatever a caller
   * put there is replaced), so the conversation keeps the lines as they were then.
   *
   * @param path app-relative path
   * @param startLine first line, 1-based, where only some lines are meant
   * @param endLine last line (inclusive), at least {@code startLine}
   * @param content the referenced lines as read when the message was sent, numbered
   */
  record FileReference(String path, OptionalInt startLine, OptionalInt endLine, Optional<String> content)
      implements Attachment {
    public static final String TYPE = "file";

    public FileReference {
      path = checkedPath(path, "path");
      Objects.requireNonNull(startLine, "startLine == null");
      Objects.requireNonNull(endLine, "endLine == null");
      Objects.requireNonNull(content, "content == null");
      startLine.ifPresent(l -> positive(l, "start_line"));
      endLine.ifPresent(l -> positive(l, "end_line"));
      if (startLine.isPresent() && endLine.isPresent() && endLine.getAsInt() < startLine.getAsInt()) {
        throw new InvalidArgumentException("end_line " + endLine.getAsInt() + " is before start_line " + startLine.getAsInt());
      }
      if (content.isPresent() && content.get().length() > MAX_FILE_CHARS) {
        throw new TooLargeException("the referenced part of " + path + " has more than " + MAX_FILE_CHARS
            + " characters; refer to fewer lines (start_line, end_line)");
      }
    }

    /** A reference whose content is not read yet. */
    public FileReference(String path, OptionalInt startLine, OptionalInt endLine) {
      this(path, startLine, endLine, Optional.empty());
    }

    /** The same reference with its content as read now. */
    public FileReference withContent(String content) {
      return new FileReference(path, startLine, endLine, Optional.of(content));
    }

    /** {@code src/App.tsx}, {@code src/App.tsx, lines 10-20} or {@code src/App.tsx, from line 10}. */
    public String describe() {
      if (startLine.isEmpty() && endLine.isEmpty()) {
        return path;
      }
      int from = startLine.orElse(1);
      if (endLine.isEmpty()) {
        return path + ", from line " + from;
      }
      return from == endLine.getAsInt() ? path + ", line " + from : path + ", lines " + from + "-" + endLine.getAsInt();
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * A problem the preview reported, sent with the message ("Fix this").
   *
   * @param kind the kind, named on the wire as {@link PreviewDiagnostic.Kind#wireName()}
   * @param file app-relative file, where known
   * @param line 1-based line, where known
   * @param column 1-based column, where known
   */
  record DiagnosticReport(PreviewDiagnostic.Kind kind, String message, Optional<String> file, OptionalInt line,
      OptionalInt column) implements Attachment {
    public static final String TYPE = "diagnostic";

    public DiagnosticReport {
      Objects.requireNonNull(kind, "kind == null");
      Objects.requireNonNull(message, "message == null");
      if (message.isBlank()) {
        throw new InvalidArgumentException("diagnostic message is empty");
      }
      limit(message, MAX_MESSAGE_CHARS, "diagnostic message");
      Objects.requireNonNull(file, "file == null");
      file = file.map(f -> checkedPath(f, "file"));
      Objects.requireNonNull(line, "line == null");
      Objects.requireNonNull(column, "column == null");
      line.ifPresent(l -> positive(l, "line"));
      column.ifPresent(c -> positive(c, "column"));
      if (column.isPresent() && line.isEmpty()) {
        throw new InvalidArgumentException("diagnostic column given without a line");
      }
      if (line.isPresent() && file.isEmpty()) {
        throw new InvalidArgumentException("diagnostic line given without a file");
      }
    }

    /** The place as {@code file:line:column}, as far as known; empty without a file. */
    public String location() {
      if (file.isEmpty()) {
        return "";
      }
      StringBuilder s = new StringBuilder(file.get());
      line.ifPresent(l -> s.append(':').append(l));
      column.ifPresent(c -> s.append(':').append(c));
      return s.toString();
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * An image (a screenshot or a mock-up), sent to the model as an image part.
   *
   * @param mediaType one of {@link #MEDIA_TYPES}, matching the bytes' magic number
   * @param name a file name to show, where the person gave one
   * @param data the bytes as standard base64 (RFC 4648 §4, padded, no line breaks), exactly as given
   */
  record Image(String mediaType, Optional<String> name, String data) implements Attachment {
    public static final String TYPE = "image";
    /** The media types every supported provider accepts. */
    public static final List<String> MEDIA_TYPES = List.of("image/png", "image/jpeg", "image/gif", "image/webp");

    public Image {
      Objects.requireNonNull(mediaType, "mediaType == null");
      Objects.requireNonNull(name, "name == null");
      Objects.requireNonNull(data, "data == null");
      if (!MEDIA_TYPES.contains(mediaType)) {
        throw new InvalidArgumentException("image media_type '" + abbreviate(mediaType) + "' is not supported; use one of "
            + String.join(", ", MEDIA_TYPES));
      }
      name.ifPresent(n -> {
        limit(n, 255, "image name");
        if (n.codePoints().anyMatch(cp -> Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT)) {
          throw new InvalidArgumentException("image name contains control or format characters");
        }
      });
      checkBytes(mediaType, data);
    }

    /** The decoded bytes (a new array each call). */
    public byte[] bytes() {
      return Base64.getDecoder().decode(data);
    }

    /** How many bytes the image has, decoded. */
    public int size() {
      return decodedSize(data);
    }

    /** {@code data:image/png;base64,...}. */
    public String dataUrl() {
      return "data:" + mediaType + ";base64," + data;
    }

    @Override
    public String type() {
      return TYPE;
    }

    private static void checkBytes(String mediaType, String data) {
      if (data.isEmpty()) {
        throw new InvalidArgumentException("image data is empty");
      }
      if (data.regionMatches(true, 0, "data:", 0, 5)) {
        throw new InvalidArgumentException("image data must be plain base64, without a 'data:' URL prefix");
      }
      // Checked before decoding, so a huge body is refused without decoding it.
      long encodedMax = 4L * ((MAX_IMAGE_BYTES + 2) / 3);
      if (data.length() > encodedMax) {
        throw new TooLargeException("image is larger than " + MAX_IMAGE_BYTES + " bytes (" + (MAX_IMAGE_BYTES / (1024 * 1024))
            + " MiB); send a smaller or more compressed one");
      }
      if (data.length() % 4 != 0) {
        throw new InvalidArgumentException("image data is not valid base64: its length " + data.length()
            + " is not a multiple of 4 (standard base64 with '=' padding, no line breaks)");
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(data);
      } catch (IllegalArgumentException e) {
        throw new InvalidArgumentException("image data is not valid base64 (standard alphabet with '=' padding, no line "
            + "breaks): " + e.getMessage(), e);
      }
      if (bytes.length > MAX_IMAGE_BYTES) {
        throw new TooLargeException("image is larger than " + MAX_IMAGE_BYTES + " bytes");
      }
      String actual = sniff(bytes);
      if (!mediaType.equals(actual)) {
        throw new InvalidArgumentException("image bytes do not match media_type " + mediaType + ": "
            + (actual == null ? "they are not a PNG, JPEG, GIF or WebP image" : "they are " + actual));
      }
    }

    /** The media type the bytes' magic number says, or null. */
    static String sniff(byte[] b) {
      if (startsWith(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
        return "image/png";
      }
      if (startsWith(b, 0, 0xFF, 0xD8, 0xFF)) {
        return "image/jpeg";
      }
      if (startsWith(b, 0, 'G', 'I', 'F', '8', '7', 'a') || startsWith(b, 0, 'G', 'I', 'F', '8', '9', 'a')) {
        return "image/gif";
      }
      if (startsWith(b, 0, 'R', 'I', 'F', 'F') && startsWith(b, 8, 'W', 'E', 'B', 'P')) {
        return "image/webp";
      }
      return null;
    }

    private static boolean startsWith(byte[] bytes, int at, int... magic) {
      if (bytes.length < at + magic.length) {
        return false;
      }
      for (int i = 0; i < magic.length; i++) {
        if ((bytes[at + i] & 0xFF) != magic[i]) {
          return false;
        }
      }
      return true;
    }

    private static int decodedSize(String base64) {
      int padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
      return base64.length() / 4 * 3 - padding;
    }

    @Override
    public String toString() {
      return "Image[mediaType=" + mediaType + ", name=" + name + ", bytes=" + size() + "]";
    }
  }

  private static String checkedPath(String path, String field) {
    Objects.requireNonNull(path, field + " == null");
    return SandboxPaths.normalize(path);
  }

  private static void positive(int value, String field) {
    if (value < 1) {
      throw new InvalidArgumentException(field + " must be 1 or more (lines and columns count from 1), not " + value);
    }
  }

  private static void limit(String text, int max, String what) {
    if (text.length() > max) {
      throw new TooLargeException(what + " is longer than " + max + " characters");
    }
  }

  private static String abbreviate(String s) {
    String shown = s.length() <= 40 ? s : s.substring(0, 39) + "…";
    return shown.chars().anyMatch(Character::isISOControl)
        ? Arrays.toString(shown.codePoints().toArray()).toLowerCase(Locale.ROOT)
        : shown;
  }
}
