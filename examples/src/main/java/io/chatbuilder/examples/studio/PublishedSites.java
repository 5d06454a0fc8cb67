package io.chatbuilder.examples.studio;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.runtime.AppPagePolicy;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.spring.autoconfigure.PublishedSiteUrls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves published sites on a port of their own, each app on an origin of its own:
 * {@code http://<label>.<domain>:<port>/published/<app>/<publish id>/<path>}, where the domain is
 * {@code localhost} unless the host names another (browsers resolve every {@code *.localhost} name to
 * loopback, RFC 6761) and {@link #label(String)} is a DNS label derived from the app id. So a site's
 * scripts run on an origin other than the studio's API and UI (they cannot read its answers, and
 * their requests to it are cross-origin: refused by its Origin check) and other than every other
 * app's site (the same-origin policy keeps them from reading another app's pages or storage). A
 * request whose Host is not the label of the app in its path is not answered with that app's files.
 * Every file gets a {@code Content-Security-Policy} that lets the site talk only to its own origin,
 * and {@code X-Content-Type-Options: nosniff}. Only files a successful publish wrote are served.
 */
final class PublishedSites implements PublishedSiteUrls, AutoCloseable {
  private final Publisher publisher;
  private final HttpServer server;
  private final ExecutorService threads;
  private final String domain;
  private final int port;

  /** The longest slug of an app id in its label; with the hash and a dash, labels stay far below DNS's 63. */
  private static final int MAX_SLUG = 40;

  /**
   * @param domain the name under which every app's site gets a subdomain ({@code localhost} on one
   *     machine; beyond it a wildcard DNS name that points at this host)
   */
  PublishedSites(Publisher publisher, String host, int port, String domain) {
    this.publisher = publisher;
    this.domain = domain.toLowerCase(Locale.ROOT);
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "studio-sites-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    try {
      this.server = HttpServer.create(new InetSocketAddress(host, port), 32);
    } catch (IOException e) {
      threads.shutdownNow();
      throw new UncheckedIOException("cannot listen for published sites on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    server.createContext("/", this::serve);
    server.setExecutor(threads);
    server.start();
    this.port = server.getAddress().getPort();
  }

  /**
   * The DNS label of an app's site: the first 10 hex digits of the SHA-256 of its id, a dash, and
   * the id in lower case with every run of other characters than {@code a-z0-9} made one dash (at
   * most 40 characters; none when nothing is left), e.g. {@code 3f2a9c01de-tenant-shop} for
   * {@code Tenant/Shop}. The hash keeps ids that share a slug ({@code Shop}, {@code shop},
   * {@code s-h-o-p}…) apart; the slug keeps the name readable.
   */
  static String label(String appId) {
    String hash = ContentHash.sha256(appId.getBytes(StandardCharsets.UTF_8)).substring(0, 10);
    String slug = appId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    slug = slug.substring(0, Math.min(slug.length(), MAX_SLUG)).replaceAll("^-+|-+$", "");
    return slug.isEmpty() ? hash : hash + "-" + slug;
  }

  /** The origin of an app's published sites, e.g. {@code http://3f2a9c01de-shop.localhost:41234}. */
  String origin(String appId) {
    return "http://" + label(appId) + "." + domain + ":" + port;
  }

  /** The port every site is served on. */
  int port() {
    return port;
  }

  @Override
  public Optional<String> siteUrl(PublishResult result) {
    return siteDirectory(result.appId(), result.publishId())
        .map(dir -> origin(result.appId()) + "/published/" + segment(result.appId()) + "/" + segment(result.publishId()) + "/");
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try {
      String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        text(exchange, 405, "published sites are read-only");
        return;
      }
      List<String> p = segments(exchange.getRequestURI().getRawPath());
      if (p.size() < 3 || !p.get(0).equals("published")) {
        text(exchange, 404, "published URLs are /published/<app>/<publish id>/<path>");
        return;
      }
      // An app's files only on its own origin: another app's page (or a rebinding name) gets nothing.
      String expected = label(p.get(1)) + "." + domain;
      String hostHeader = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Host")).orElse("")
          .toLowerCase(Locale.ROOT).replaceFirst(":\\d+$", "");
      if (!hostHeader.equals(expected)) {
        text(exchange, 404, "app " + p.get(1) + "'s sites are served at " + origin(p.get(1)) + "/, not on this host");
        return;
      }
      Optional<Path> site = siteDirectory(p.get(1), p.get(2));
      if (site.isEmpty()) {
        text(exchange, 404, "app " + p.get(1) + " has no published site '" + p.get(2) + "'");
        return;
      }
      String path = p.size() == 3 ? "index.html" : String.join("/", p.subList(3, p.size()));
      Path file = site.get().resolve(path).normalize();
      if (!file.startsWith(site.get()) || path.startsWith(".") || path.contains("/.") || !Files.isRegularFile(file)) {
        text(exchange, 404, "publish " + p.get(2) + " has no file " + path);
        return;
      }
      byte[] bytes = Files.readAllBytes(file);
      exchange.getResponseHeaders().set("Content-Type", StaticFiles.contentType(path));
      exchange.getResponseHeaders().set("Content-Security-Policy", AppPagePolicy.publishedSite());
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      boolean head = method.equals("HEAD");
      exchange.sendResponseHeaders(200, head || bytes.length == 0 ? -1 : bytes.length);
      if (!head) {
        exchange.getResponseBody().write(bytes);
      }
    } catch (IllegalArgumentException e) { // also InvalidPathException
      text(exchange, 404, "no such file");
    } finally {
      exchange.close();
    }
  }

  /** The directory a successful publish wrote its site to, when it is a local directory. */
  private Optional<Path> siteDirectory(String appId, String publishId) {
    return publisher.find(appId, publishId).filter(PublishResult::success).flatMap(PublishResult::outputLocation)
        .flatMap(location -> {
          try {
            Path dir = Path.of(location);
            return dir.isAbsolute() && Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
          } catch (InvalidPathException e) {
            return Optional.empty();
          }
        });
  }

  /** A path segment: an app id may hold {@code /} and other characters a path gives another meaning. */
  private static String segment(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static void text(HttpExchange exchange, int status, String message) throws IOException {
    byte[] body = message.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }
}
