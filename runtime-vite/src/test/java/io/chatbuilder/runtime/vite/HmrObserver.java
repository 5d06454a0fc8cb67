package io.chatbuilder.runtime.vite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Vite's HMR websocket as a browser's client sees it (protocol {@code vite-hmr}, the server's token
 * read from {@code /@vite/client}): every message the dev server sends its pages, in order.
 */
final class HmrObserver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TOKEN = Pattern.compile("wsToken\\s*=\\s*\"([^\"]+)\"");

  private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
  private final WebSocket socket;

  private HmrObserver(String previewUrl) {
    String client = ViteTestSupport.get(previewUrl + "@vite/client").body();
    Matcher m = TOKEN.matcher(client);
    if (!m.find()) {
      throw new AssertionError("no wsToken in /@vite/client");
    }
    URI uri = URI.create(previewUrl.replaceFirst("^http", "ws") + "?token=" + m.group(1));
    socket = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .newWebSocketBuilder().subprotocols("vite-hmr").connectTimeout(Duration.ofSeconds(10))
        .buildAsync(uri, new Collector()).join();
  }

  static HmrObserver connect(String previewUrl) {
    HmrObserver o = new HmrObserver(previewUrl);
    JsonNode first = o.next(Duration.ofSeconds(30));
    if (first == null || !"connected".equals(first.path("type").asText())) {
      throw new AssertionError("expected Vite's 'connected' message, got " + first);
    }
    return o;
  }

  /** The next message, or null when none came within {@code wait}. */
  JsonNode next(Duration wait) {
    try {
      return messages.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  void drain() {
    messages.clear();
  }

  /** Whether {@code message} tells pages to update or reload because of the app file {@code relative}. */
  static boolean concerns(JsonNode message, String relative) {
    String type = message.path("type").asText();
    if ("full-reload".equals(type)) {
      String by = message.path("triggeredBy").asText("");
      return by.endsWith("/" + relative);
    }
    if ("update".equals(type)) {
      for (JsonNode u : message.path("updates")) {
        if (u.path("path").asText("").endsWith("/" + relative) || u.path("acceptedPath").asText("").endsWith("/" + relative)) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void close() {
    socket.abort();
  }

  private final class Collector implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          messages.add(JSON.readTree(partial.toString()));
        } catch (IOException e) {
          messages.add(JSON.createObjectNode().put("type", "unreadable").put("text", partial.toString()));
        }
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }
  }
}
