package io.chatbuilder.core.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256, the one digest of the project: content addresses as lowercase hex, and a fresh
 * {@link MessageDigest} for what is hashed in pieces (files in chunks, fields with separators).
 */
public final class ContentHash {
  private ContentHash() {}

  /** The content address of {@code content}: its SHA-256 as lowercase hex. */
  public static String sha256(byte[] content) {
    return hex(newSha256().digest(content));
  }

  /** The SHA-256 of {@code text}'s UTF-8 bytes, raw (for constant-time comparison of secrets). */
  public static byte[] sha256Bytes(String text) {
    return newSha256().digest(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A new SHA-256 digest to feed incrementally; finish it with {@link #hex(byte[])}. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** Lowercase hex, the form every content address takes. */
  public static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
