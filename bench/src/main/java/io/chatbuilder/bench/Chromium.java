package io.chatbuilder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Headless Chromium driven through chromedriver's W3C WebDriver HTTP API (navigate, run a script),
 * for B13. Needs Debian's {@code chromium} and {@code chromium-driver} ({@code CHROMIUM_BIN},
 * {@code CHROMEDRIVER_BIN} override the paths).
 */
final class Chromium implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final Process driver;
  private final String session;

  private Chromium(Process driver, String session) {
    this.driver = driver;
    this.session = session;
  }

  static Path executable(String variable, String fallback) {
    Path path = Path.of(System.getenv().getOrDefault(variable, fallback));
    if (!Files.isExecutable(path)) {
      throw new IllegalStateException(path + " is missing: install Debian's chromium and chromium-driver (or set " + variable + ")");
    }
    return path;
  }

  static Chromium start(Path profile, Path log) {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
      Files.createDirectories(profile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process process = Processes.start(profile, List.of(chromedriver.toString(), "--port=" + port), log);
    String base = "http://127.0.0.1:" + port;
    try {
      for (int i = 0; ; i++) {
        try {
          if (send("GET", base + "/status", null).path("ready").asBoolean()) {
            break;
          }
        } catch (UncheckedIOException notYet) {
          if (i > 100 || !process.isAlive()) {
            throw new IllegalStateException("chromedriver did not start; see " + log, notYet);
          }
        }
        Thread.sleep(100);
      }
      ObjectNode options = JSON.createObjectNode().put("binary", chromium.toString());
      ArrayNode args = options.putArray("args");
      List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1000,800",
          "--user-data-dir=" + profile.resolve("profile")).forEach(args::add);
      ObjectNode capabilities = JSON.createObjectNode();
      capabilities.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome").set("goog:chromeOptions", options);
      JsonNode created = send("POST", base + "/session", capabilities);
      return new Chromium(process, base + "/session/" + created.get("sessionId").asText());
    } catch (RuntimeException e) {
      Processes.stop(process);
      throw e;
    } catch (InterruptedException e) {
      Processes.stop(process);
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  void navigate(String url) {
    send("POST", session + "/url", JSON.createObjectNode().put("url", url));
  }

  /** Runs {@code script} (a function body; use {@code return}) in the page. */
  JsonNode execute(String script) {
    ObjectNode body = JSON.createObjectNode().put("script", script);
    body.putArray("args");
    return send("POST", session + "/execute/sync", body);
  }

  private static JsonNode send(String method, String url, JsonNode body) {
    HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString());
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").method(method, publisher).build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode value = JSON.readTree(response.body()).path("value");
      if (response.statusCode() >= 400 || value.has("error")) {
        throw new IllegalStateException(value.path("error").asText("http " + response.statusCode()) + ": "
            + value.path("message").asText());
      }
      return value;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      send("DELETE", session, null);
    } catch (RuntimeException ignored) {
      // stopping the driver anyway
    }
    Processes.stop(driver);
  }
}
