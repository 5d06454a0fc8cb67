package io.chatbuilder.examples.studio;

import java.util.Locale;

/**
 * What the studio's static servers (previews, published sites, the UI) say about the files they send;
 * their Content-Security-Policy is core's {@link io.chatbuilder.core.runtime.AppPagePolicy}.
 */
final class StaticFiles {
  private StaticFiles() {}

  static String contentType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    return switch (ext) {
      case "html", "htm" -> "text/html; charset=utf-8";
      case "js", "mjs", "jsx" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "json", "map" -> "application/json; charset=utf-8";
      case "svg" -> "image/svg+xml";
      case "png" -> "image/png";
      case "jpg", "jpeg" -> "image/jpeg";
      case "gif" -> "image/gif";
      case "webp" -> "image/webp";
      case "ico" -> "image/x-icon";
      case "woff2" -> "font/woff2";
      case "txt", "md" -> "text/plain; charset=utf-8";
      default -> "application/octet-stream";
    };
  }
}
