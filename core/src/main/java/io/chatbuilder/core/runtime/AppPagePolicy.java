package io.chatbuilder.core.runtime;

/**
 * The {@code Content-Security-Policy} of an app's pages, one text for every server of them: the Vite
 * dev server of a draft (runtime-vite hands it to its script), a host's static previews and its
 * published sites. The page may load its own scripts, styles and media and https ones from CDNs,
 * but may send requests only to its own origin, never to the host's API on another origin. Inline
 * scripts and styles stay allowed: Vite and React refresh inject them, and many generated apps
 * use them.
 */
public final class AppPagePolicy {
  private static final String PAGE = "default-src 'self'; script-src 'self' 'unsafe-inline' https:; "
      + "style-src 'self' 'unsafe-inline' https:; img-src 'self' data: blob: https:; font-src 'self' data: https:; "
      + "media-src 'self' data: blob: https:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
      + "base-uri 'self'; form-action 'self'";

  private AppPagePolicy() {}

  /** A draft preview's policy: the host's UI frames it, from another origin. */
  public static String preview() {
    return PAGE;
  }

  /** A published site's policy: nobody frames it. */
  public static String publishedSite() {
    return PAGE + "; frame-ancestors 'none'";
  }
}
