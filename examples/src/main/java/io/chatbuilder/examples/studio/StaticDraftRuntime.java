package io.chatbuilder.examples.studio;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.runtime.AppPagePolicy;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The studio's draft mode when no dev server is configured: each app's sandbox files are served as
 * they are by a small HTTP server of its own on a free port, so the preview has its own origin and
 * absolute paths such as {@code /src/main.js} work as they do under Vite. Starts at once and needs
 * neither Node nor npm. The UI reloads the preview after each change (Vite would hot-reload it).
 */
final class StaticDraftRuntime implements DraftRuntime {
  private final Function<String, Sandbox> sandboxes;
  private final String host;
  private final Clock clock;
  private final ExecutorService threads;
  private final Map<String, Preview> running = new ConcurrentHashMap<>();

  private record Preview(HttpServer server, DraftStatus status) {}

  StaticDraftRuntime(Function<String, Sandbox> sandboxes, String host, Clock clock) {
    this.sandboxes = sandboxes;
    this.host = host;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "studio-preview-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public DraftStatus start(String appId, StatusListener listener) {
    return running.computeIfAbsent(appId, id -> {
      Sandbox sandbox = sandboxes.apply(id);
      try {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, 0), 16);
        server.createContext("/", exchange -> serve(exchange, sandbox));
        server.setExecutor(threads);
        server.start();
        InetAddress bound = server.getAddress().getAddress();
        String urlHost = bound.isAnyLocalAddress() ? "127.0.0.1" : server.getAddress().getHostString();
        String url = "http://" + (urlHost.contains(":") ? "[" + urlHost + "]" : urlHost) + ":" + server.getAddress().getPort() + "/";
        listener.onStatus("serving the app's files at " + url);
        return new Preview(server, new DraftStatus(id, DraftState.RUNNING, Optional.of(url),
            List.of("static preview of the sandbox files at " + url), Optional.empty(), 0, clock.instant()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the preview server of " + id + ": " + e.getMessage(), e);
      }
    }).status();
  }

  @Override
  public DraftStatus status(String appId) {
    Preview preview = running.get(appId);
    return preview != null ? preview.status()
        : new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, clock.instant());
  }

  @Override
  public void stop(String appId) {
    Preview preview = running.remove(appId);
    if (preview != null) {
      preview.server().stop(0);
    }
  }

  @Override
  public void close() {
    List.copyOf(running.keySet()).forEach(this::stop);
    threads.shutdownNow();
  }

  private static void serve(HttpExchange exchange, Sandbox sandbox) throws IOException {
    try {
      String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
      if (!method.equals("GET") && !method.equals("HEAD")) {
        text(exchange, 405, "only GET and HEAD");
        return;
      }
      String raw = exchange.getRequestURI().getRawPath();
      String path = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8).replaceFirst("^/+", "");
      if (path.isEmpty() || path.endsWith("/")) {
        path = path + "index.html";
      }
      Optional<FileContent> file = sandbox.tryRead(path);
      if (file.isEmpty()) {
        text(exchange, 404, "not found: " + path);
        return;
      }
      byte[] bytes = file.get().bytes();
      exchange.getResponseHeaders().set("Content-Type", StaticFiles.contentType(path));
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      exchange.getResponseHeaders().set("Content-Security-Policy", AppPagePolicy.preview());
      boolean head = method.equals("HEAD");
      exchange.sendResponseHeaders(200, head || bytes.length == 0 ? -1 : bytes.length);
      if (!head) {
        exchange.getResponseBody().write(bytes);
      }
    } catch (ChatBuilderException e) {
      text(exchange, e.code().httpStatus(), e.code().wireName() + ": " + e.getMessage());
    } finally {
      exchange.close();
    }
  }

  private static void text(HttpExchange exchange, int status, String message) throws IOException {
    byte[] body = message.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }
}
