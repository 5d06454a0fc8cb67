package io.chatbuilder.core.sandbox;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/** The bytes of a sandbox file, and whether they are text (valid UTF-8 without NUL bytes). */
public final class FileContent {
  private final String path;
  private final byte[] bytes;
  private final String text;

  private FileContent(String path, byte[] bytes) {
    this.path = path;
    this.bytes = bytes;
    this.text = decodeText(bytes);
  }

  public static FileContent of(String path, byte[] bytes) {
    Objects.requireNonNull(path, "path == null");
    Objects.requireNonNull(bytes, "bytes == null");
    return new FileContent(path, bytes.clone());
  }

  public String path() {
    return path;
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  public long size() {
    return bytes.length;
  }

  public boolean binary() {
    return text == null;
  }

  /** The UTF-8 text, empty for binary content. */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  /**
   * Decodes strict UTF-8; returns null for binary content (a NUL byte, or bytes that are not UTF-8),
   * so binary files are reported as binary instead of garbled.
   */
  public static String decodeText(byte[] bytes) {
    int probe = Math.min(bytes.length, 8000);
    for (int i = 0; i < probe; i++) {
      if (bytes[i] == 0) {
        return null;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  public static boolean isBinary(byte[] bytes) {
    return decodeText(bytes) == null;
  }
}
