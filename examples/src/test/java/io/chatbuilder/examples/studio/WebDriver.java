package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A minimal W3C WebDriver client for chromedriver over its HTTP API: enough to drive the studio
 * in headless Chromium (navigate, find, click, type, run a script, take a screenshot), smaller
 * than pulling in Selenium.
 */
final class WebDriver implements AutoCloseable {
  private static final String ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process driver;
  private final String base;
  private final String session;
  private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();

  private WebDriver(Process driver, String base, String session) {
    this.driver = driver;
    this.base = base;
    this.session = base + "/session/" + session;
  }

  /** Starts chromedriver on a free port and opens a headless Chromium session. */
  static WebDriver start(Path chromedriver, Path chromium, Path userDataDir, Path log) throws IOException, InterruptedException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process process = new ProcessBuilder(chromedriver.toString(), "--port=" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    OkHttpClient probe = new OkHttpClient.Builder().connectTimeout(Duration.ofMillis(200)).build();
    for (int i = 0; ; i++) {
      try (Response r = probe.newCall(new Request.Builder().url(base + "/status").build()).execute()) {
        if (r.isSuccessful() && JSON.readTree(r.body().string()).at("/value/ready").asBoolean()) {
          break;
        }
      } catch (IOException notYet) {
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
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,900",
        "--user-data-dir=" + userDataDir).forEach(args::add);
    ObjectNode capabilities = JSON.createObjectNode();
    capabilities.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome").set("goog:chromeOptions", options);
    WebDriver partial = new WebDriver(process, base, "none");
    try {
      JsonNode created = partial.send("POST", base + "/session", capabilities);
      return new WebDriver(process, base, created.get("sessionId").asText());
    } catch (RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
  }

  void navigate(String url) {
    send("POST", session + "/url", JSON.createObjectNode().put("url", url));
  }

  /** The element's WebDriver id. @throws WebDriverException if absent */
  String find(String css) {
    JsonNode found = send("POST", session + "/element", JSON.createObjectNode().put("using", "css selector").put("value", css));
    return found.get(ELEMENT_KEY).asText();
  }

  void click(String css) {
    send("POST", session + "/element/" + find(css) + "/click", JSON.createObjectNode());
  }

  void type(String css, String text) {
    send("POST", session + "/element/" + find(css) + "/value", JSON.createObjectNode().put("text", text));
  }

  /** Moves into the iframe matching {@code css}; scripts then run in its document. */
  void switchToFrame(String css) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("id").put(ELEMENT_KEY, find(css));
    send("POST", session + "/frame", body);
  }

  /** Moves back to the top-level document. */
  void switchToTop() {
    ObjectNode body = JSON.createObjectNode();
    body.putNull("id");
    send("POST", session + "/frame", body);
  }

  /** Runs {@code script} (a function body; use {@code return}) in the page and returns its result. */
  JsonNode execute(String script) {
    ObjectNode body = JSON.createObjectNode().put("script", script);
    body.putArray("args");
    return send("POST", session + "/execute/sync", body);
  }

  void screenshot(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(send("GET", session + "/screenshot", null).asText()));
  }

  private JsonNode send(String method, String url, JsonNode body) {
    RequestBody requestBody = body == null ? null : RequestBody.create(body.toString(), JSON_TYPE);
    try (Response response = http.newCall(new Request.Builder().url(url).method(method, requestBody).build()).execute()) {
      JsonNode json = JSON.readTree(response.body().string());
      JsonNode value = json.path("value");
      if (!response.isSuccessful() || value.has("error")) {
        throw new WebDriverException(value.path("error").asText("http " + response.code()) + ": " + value.path("message").asText());
      }
      return value;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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

  /** An error the driver reported, e.g. "no such element". */
  static final class WebDriverException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WebDriverException(String message) {
      super(message);
    }
  }
}
