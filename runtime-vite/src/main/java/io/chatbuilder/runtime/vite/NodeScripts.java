package io.chatbuilder.runtime.vite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Scripts of this jar given to {@code node -e} inside a sandbox, percent-encoded because the
 * command policy refuses shell syntax in arguments.
 */
final class NodeScripts {
  private NodeScripts() {}

  /** A resource next to this class, as text. */
  static String load(String resource) {
    try (InputStream in = NodeScripts.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the runtime-vite jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The argument of {@code node -e} that runs {@code source}. */
  static String evalArgument(String source) {
    return "eval(decodeURIComponent(\"" + percentEncode(source) + "\"))";
  }

  /** Every byte but ASCII letters and digits as %XX: no quote, shell character or ".." is left. */
  static String percentEncode(String s) {
    StringBuilder out = new StringBuilder(s.length() * 3);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return out.toString();
  }
}
