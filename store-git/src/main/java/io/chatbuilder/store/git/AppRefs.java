package io.chatbuilder.store.git;

import io.chatbuilder.core.InvalidArgumentException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jgit.lib.Repository;

/**
 * Maps app ids to ref names and back. App ids are free-form strings; ref names are file names on
 * disk (loose refs), so everything but {@code [a-z0-9_-]} is percent-encoded byte by byte (UTF-8).
 * Upper-case letters are encoded too, so two apps never collide on a case-insensitive file system.
 */
final class AppRefs {
  static final String PREFIX = "refs/chatbuilder/apps/";
  /** Each app's labels live on their own ref, beside (never inside) its history. */
  static final String LABELS_PREFIX = "refs/chatbuilder/labels/";
  /** Loose refs are files: keep the name well below the usual 255-byte file-name limit. */
  static final int MAX_ENCODED_LENGTH = 200;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private AppRefs() {}

  static String refName(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    if (appId.isEmpty()) {
      throw new InvalidArgumentException("app id is empty");
    }
    byte[] utf8 = appId.getBytes(StandardCharsets.UTF_8);
    if (!new String(utf8, StandardCharsets.UTF_8).equals(appId)) {
      throw new InvalidArgumentException("app id is not valid unicode (unpaired surrogate)");
    }
    StringBuilder out = new StringBuilder(utf8.length);
    for (byte b : utf8) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    if (out.length() > MAX_ENCODED_LENGTH) {
      throw new InvalidArgumentException("app id is too long for a ref name (" + out.length()
          + " encoded characters, at most " + MAX_ENCODED_LENGTH + ")");
    }
    String name = PREFIX + out;
    if (!Repository.isValidRefName(name)) {
      throw new IllegalStateException("encoded an invalid ref name: " + name);
    }
    return name;
  }

  /** The ref that holds {@code appId}'s checkpoint labels. */
  static String labelsRefName(String appId) {
    return LABELS_PREFIX + refName(appId).substring(PREFIX.length());
  }

  /** The app id of a ref under {@link #PREFIX}, empty when the ref was not written by this store. */
  static Optional<String> appId(String refName) {
    if (!refName.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String encoded = refName.substring(PREFIX.length());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        if (i + 2 >= encoded.length()) {
          return Optional.empty();
        }
        int hi = Character.digit(encoded.charAt(i + 1), 16);
        int lo = Character.digit(encoded.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return Optional.empty();
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
        bytes.write(c);
      } else {
        return Optional.empty();
      }
    }
    String appId = bytes.toString(StandardCharsets.UTF_8);
    // Only canonical encodings count, so one app never appears under two refs.
    return refName.equals(PREFIX + encodedOrNull(appId)) ? Optional.of(appId) : Optional.empty();
  }

  private static String encodedOrNull(String appId) {
    try {
      return refName(appId).substring(PREFIX.length());
    } catch (InvalidArgumentException e) {
      return null;
    }
  }
}
