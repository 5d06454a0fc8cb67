package io.chatbuilder.examples.studio;

import java.util.Locale;

/** What the studio's static servers (previews, published sites, the UI) say about the files they send. */
final class StaticFiles {
  /**
   * The policy of a static site the agent built: its own scripts, styles and media (and https ones
   * from CDNs), but requests only to its own origin, never to the studio's API on another origin.
   */
  private static final String SITE_POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline' https:; "
      + "style-src 'self' 'unsafe-inline' https:; img-src 'self' data: blob: https:; font-src 'self' data: https:; "
      + "media-src 'self' data: blob: https:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

  private StaticFiles() {}

  /** A published site's policy: nobody frames it. */
  static String publishedSitePolicy() {
    return SITE_POLICY + "; frame-ancestors 'none'";
  }

  /** A draft preview's policy: the studio's UI frames it, from another origin. */
  static String previewPolicy() {
    return SITE_POLICY;
  }

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
