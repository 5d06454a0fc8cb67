package io.chatbuilder.runtime.vite;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Headless Chromium driven by chromedriver's W3C WebDriver HTTP API (navigate, run a script): what
 * these tests need to open a preview in a real browser. Like the studio's browser tests, it needs
 * Debian's {@code chromium} and {@code chromium-driver} ({@code CHROMIUM_BIN}, {@code CHROMEDRIVER_BIN}
 * override the paths); without them the test is skipped, and under {@code CI=true} it fails.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final Process driver;
  private final String session;

  private HeadlessChromium(Process driver, String session) {
    this.driver = driver;
    this.session = session;
  }

  static HeadlessChromium start(Path profile, Path log) throws IOException, InterruptedException {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Files.createDirectories(log.getParent());
    Process process = new ProcessBuilder(chromedriver.toString(), "--port=" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    for (int i = 0; ; i++) {
      try {
        if (send("GET", base + "/status", null).path("ready").asBoolean()) {
          break;
        }
      } catch (UncheckedIOException notYet) {
        if (i > 100 || !process.isAlive()) {
          process.destroyForcibly();
          throw new IOException("chromedriver did not start; see " + log, notYet);
        }
      }
      Thread.sleep(100);
    }
    ObjectNode options = JSON.createObjectNode().put("binary", chromium.toString());
    ArrayNode args = options.putArray("args");
    List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1000,800",
        "--user-data-dir=" + profile).forEach(args::add);
    ObjectNode capabilities = JSON.createObjectNode();
    capabilities.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome").set("goog:chromeOptions", options);
    try {
      JsonNode created = send("POST", base + "/session", capabilities);
      return new HeadlessChromium(process, base + "/session/" + created.get("sessionId").asText());
    } catch (RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
  }

  private static Path executable(String variable, String fallback) {
    Path path = Path.of(System.getenv().getOrDefault(variable, fallback));
    if (!Files.isExecutable(path)) {
      String message = path + " is missing: install Debian's chromium and chromium-driver (or set " + variable + ")";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI=true but " + message);
      }
      Assumptions.abort(message);
    }
    return path;
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

  /** Moves the commands to the page's {@code index}-th frame (an iframe), or back to the top with {@link #topFrame()}. */
  void frame(int index) {
    send("POST", session + "/frame", JSON.createObjectNode().put("id", index));
  }

  void topFrame() {
    send("POST", session + "/frame", JSON.createObjectNode().putNull("id"));
  }

  /** A real click (the browser's input pipeline, trusted events) on the first element matching {@code css}. */
  void click(String css) {
    send("POST", session + "/element/" + element(css) + "/click", JSON.createObjectNode());
  }

  /** Moves the real mouse pointer onto the centre of the first element matching {@code css}. */
  void hover(String css) {
    ObjectNode origin = JSON.createObjectNode().put(ELEMENT, element(css));
    ObjectNode move = JSON.createObjectNode().put("type", "pointerMove").put("duration", 0).put("x", 0).put("y", 0);
    move.set("origin", origin);
    ObjectNode actions = JSON.createObjectNode();
    ObjectNode pointer = actions.putArray("actions").addObject().put("type", "pointer").put("id", "mouse");
    pointer.putObject("parameters").put("pointerType", "mouse");
    pointer.putArray("actions").add(move);
    send("POST", session + "/actions", actions);
  }

  private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

  private String element(String css) {
    JsonNode found = send("POST", session + "/element", JSON.createObjectNode().put("using", "css selector").put("value", css));
    if (!found.path(ELEMENT).isTextual()) {
      throw new IllegalStateException("no element reference for " + css + ": " + found);
    }
    return found.path(ELEMENT).asText();
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
    driver.descendants().forEach(ProcessHandle::destroy);
    driver.destroy();
    try {
      if (!driver.waitFor(5, TimeUnit.SECONDS)) {
        driver.descendants().forEach(ProcessHandle::destroyForcibly);
        driver.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
