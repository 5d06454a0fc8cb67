package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The HTTP API over real HTTP on a random port (Tomcat, H2 through Boot's DataSource): the guard
 * (Host, Origin, JSON), the error shape, the endpoints, and SSE with {@code Last-Event-ID}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "chatbuilder.sandbox.isolation=unisolated",
    "chatbuilder.http.stream-queue-capacity=16",
    "chatbuilder.http.heartbeat=1s"})
class HttpApiTest {
  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    ModelClient model() {
      return Fixtures.writingModel(3);
    }

    @Bean
    AppTemplate template() {
      return Fixtures.template();
    }

    /** A host's own endpoint under the base path: the guard and the API's error answers cover it too. */
    @Bean
    HostEndpoint hostEndpoint() {
      return new HostEndpoint();
    }

    /** Spring Security's core is on this module's test class path, so the default policy would deny. */
    @Bean
    AppAccessPolicy policy() {
      return AppAccessPolicy.allowAll();
    }
  }

  @org.springframework.web.bind.annotation.RestController
  static class HostEndpoint {
    @org.springframework.web.bind.annotation.PostMapping("/admin/host-extra/{id}")
    String extra(@org.springframework.web.bind.annotation.PathVariable String id) {
      throw new io.chatbuilder.core.NotFoundException("no extra '" + id + "'");
    }
  }

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-http-test");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();
  private final List<String> created = new ArrayList<>();

  @AfterEach
  void waitForRuns() throws Exception {
    for (String app : created) {
      RunHandle run = chatBuilder.activeRun(app).orElse(null);
      if (run != null) {
        run.completion().get(60, TimeUnit.SECONDS);
      }
    }
  }

  private String base() {
    return "http://localhost:" + port + "/admin";
  }

  private String own() {
    return "http://localhost:" + port;
  }

  private Response post(String path, String body, Map<String, String> headers, MediaType type) throws IOException {
    Request.Builder r = new Request.Builder().url(base() + path).post(RequestBody.create(body, type));
    headers.forEach(r::header);
    return http.newCall(r.build()).execute();
  }

  private Response get(String path, Map<String, String> headers) throws IOException {
    Request.Builder r = new Request.Builder().url(base() + path);
    headers.forEach(r::header);
    return http.newCall(r.build()).execute();
  }

  private JsonNode json(Response response) throws IOException {
    try (response) {
      return MAPPER.readTree(response.body().string());
    }
  }

  private String createApp(String appId) throws IOException {
    try (Response r = post("/apps", "{\"app_id\":\"" + appId + "\",\"template_id\":\"plain\"}", Map.of("Origin", own()), JSON)) {
      assertThat(r.code()).as(r.body().string()).isEqualTo(201);
    }
    created.add(appId);
    return appId;
  }

  private List<Sse.Frame> chat(String appId, String message) throws IOException {
    try (Response r = post("/apps/" + appId + "/builder/chat/stream", "{\"message\":\"" + message + "\"}",
        Map.of("Origin", own()), JSON)) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("Content-Type")).startsWith("text/event-stream");
      assertThat(r.header("X-Run-Id")).startsWith("run_");
      return Sse.readAll(r.body().source());
    }
  }

  /** Every state-changing endpoint, with a body it would accept. */
  private static List<String[]> stateChanging(String appId) {
    return List.of(
        new String[] {"/apps", "{\"app_id\":\"other-app\",\"template_id\":\"plain\"}"},
        new String[] {"/apps/" + appId + "/builder/chat/stream", "{\"message\":\"hi\"}"},
        new String[] {"/apps/" + appId + "/builder/cancel", "{}"},
        new String[] {"/apps/" + appId + "/builder/undo", "{}"},
        new String[] {"/apps/" + appId + "/builder/redo", "{}"},
        new String[] {"/apps/" + appId + "/builder/restore", "{\"checkpoint_id\":\"x\"}"},
        new String[] {"/apps/" + appId + "/builder/revert-file", "{\"checkpoint_id\":\"x\",\"path\":\"index.html\"}"},
        new String[] {"/apps/" + appId + "/builder/draft", "{}"},
        new String[] {"/apps/" + appId + "/builder/publish", "{}"});
  }

  @Test
  void aForeignOriginGets403OnEveryStateChangingEndpointAndChangesNothing() throws Exception {
    String app = createApp("origin-app");
    int checkpoints = chatBuilder.checkpoints(app, 100).size();
    for (String[] endpoint : stateChanging(app)) {
      for (String origin : List.of("http://evil.example", "null", "http://localhost:" + (port + 1), "https://localhost:" + port)) {
        JsonNode body;
        try (Response r = post(endpoint[0], endpoint[1], Map.of("Origin", origin), JSON)) {
          assertThat(r.code()).as(endpoint[0] + " from " + origin).isEqualTo(403);
          body = MAPPER.readTree(r.body().string());
        }
        assertThat(body.path("code").asText()).isEqualTo("unauthorized");
        assertThat(body.path("message").asText()).contains(origin);
      }
      // A cross-site request without Origin is told apart by Fetch Metadata.
      try (Response r = post(endpoint[0], endpoint[1], Map.of("Sec-Fetch-Site", "cross-site"), JSON)) {
        assertThat(r.code()).as(endpoint[0]).isEqualTo(403);
      }
    }
    assertThat(chatBuilder.checkpoints(app, 100)).hasSize(checkpoints);
    assertThat(chatBuilder.head("other-app")).isEmpty();
    assertThat(chatBuilder.runIds(app, 10)).isEmpty();
    // The API's own origin passes the guard (undo then says there is nothing to undo).
    try (Response r = post("/apps/" + app + "/builder/undo", "{}", Map.of("Origin", own()), JSON)) {
      assertThat(r.code()).isEqualTo(409);
    }
  }

  @Test
  void aTenantQualifiedAppIdWorksOnEveryPathAndAnOverlongOneIsRefused() throws Exception {
    String app = createApp("tenant-42.shop." + "x".repeat(100));
    try (Response r = get("/apps/" + app + "/builder/checkpoints", Map.of())) {
      assertThat(r.code()).as(r.body().string()).isEqualTo(200);
    }
    try (Response r = get("/apps/" + app + "/builder/labels", Map.of())) {
      assertThat(r.code()).isEqualTo(200);
    }
    try (Response r = post("/apps", "{\"app_id\":\"" + "y".repeat(129) + "\",\"template_id\":\"plain\"}", Map.of("Origin", own()), JSON)) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(MAPPER.readTree(r.body().string()).path("message").asText()).contains("at most 128");
    }
  }

  @Test
  void aForeignHostIsRefusedOnEveryMethod() throws Exception {
    createApp("host-app");
    for (String host : List.of("evil.example", "evil.example:" + port, "localhost.evil.example", "127.0.0.2")) {
      try (Response r = get("/apps", Map.of("Host", host))) {
        assertThat(r.code()).as(host).isEqualTo(403);
        assertThat(MAPPER.readTree(r.body().string()).path("code").asText()).isEqualTo("unauthorized");
      }
      try (Response r = post("/apps/host-app/builder/undo", "{}", Map.of("Host", host), JSON)) {
        assertThat(r.code()).as(host).isEqualTo(403);
      }
    }
    for (String host : List.of("localhost:" + port, "127.0.0.1:" + port)) {
      try (Response r = get("/apps", Map.of("Host", host))) {
        assertThat(r.code()).as(host).isEqualTo(200);
      }
    }
  }

  @Test
  void aTextPlainOrFormPostIsRefusedWith415() throws Exception {
    String app = createApp("type-app");
    for (String[] endpoint : stateChanging(app)) {
      for (MediaType type : List.of(MediaType.get("text/plain"), MediaType.get("application/x-www-form-urlencoded"),
          MediaType.get("multipart/form-data; boundary=x"))) {
        try (Response r = post(endpoint[0], endpoint[1], Map.of("Origin", own()), type)) {
          assertThat(r.code()).as(endpoint[0] + " as " + type).isEqualTo(415);
        }
      }
    }
    assertThat(chatBuilder.runIds(app, 10)).isEmpty();
  }

  @Test
  void noSuchRouteAWrongMethodAndAHostEndpointUnderTheBasePathAnswerWithTheApiErrorShape() throws Exception {
    try (Response r = get("/nothing-here", Map.of())) {
      assertThat(r.code()).isEqualTo(404);
      assertThat(r.header("Content-Type")).startsWith("application/json");
      JsonNode body = MAPPER.readTree(r.body().string());
      assertThat(body.path("code").asText()).isEqualTo("not_found");
      assertThat(body.path("message").asText()).isNotBlank();
    }
    try (Response r = get("/apps/some-app/builder/undo", Map.of())) {
      assertThat(r.code()).isEqualTo(405);
      assertThat(r.header("Allow")).contains("POST");
      assertThat(MAPPER.readTree(r.body().string()).path("code").asText()).isEqualTo("method_not_allowed");
    }
    try (Response r = post("/host-extra/x", "{}", Map.of(), JSON)) {
      assertThat(r.code()).isEqualTo(404);
      assertThat(MAPPER.readTree(r.body().string()).path("message").asText()).isEqualTo("no extra 'x'");
    }
    try (Response r = post("/host-extra/x", "{}", Map.of("Origin", "http://evil.example"), JSON)) {
      assertThat(r.code()).isEqualTo(403);
    }
    // Outside the base path the application's own error handling answers, not the API's.
    Request outside = new Request.Builder().url(own() + "/elsewhere").build();
    try (Response r = http.newCall(outside).execute()) {
      assertThat(r.code()).isEqualTo(404);
      assertThat(r.body().string()).doesNotContain("\"code\":\"not_found\"");
    }
  }

  @Test
  void answersCarrySecurityHeadersAndErrorsTheirCode() throws Exception {
    try (Response r = get("/apps", Map.of())) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
      assertThat(r.header("X-Frame-Options")).isEqualTo("DENY");
      assertThat(r.header("Content-Security-Policy")).contains("default-src 'none'").contains("frame-ancestors 'none'");
      assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
    }
    try (Response r = get("/apps/nope/builder/checkpoints", Map.of())) {
      assertThat(r.code()).isEqualTo(404);
      assertThat(MAPPER.readTree(r.body().string()).path("code").asText()).isEqualTo("not_found");
    }
    try (Response r = get("/apps/bad%20id/builder/checkpoints", Map.of())) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(MAPPER.readTree(r.body().string()).path("code").asText()).isEqualTo("invalid_argument");
    }
    createApp("error-app");
    try (Response r = post("/apps/error-app/builder/publish", "{}", Map.of(), JSON)) {
      assertThat(r.code()).isEqualTo(501); // no publisher configured
      assertThat(MAPPER.readTree(r.body().string()).path("code").asText()).isEqualTo("not_configured");
    }
  }

  @Test
  void chatStreamsEveryEventAndLastEventIdReplaysTheRestExactly() throws Exception {
    String app = createApp("sse-app");
    List<Sse.Frame> live = chat(app, "write n.txt");
    assertThat(live).isNotEmpty();
    assertThat(live.stream().mapToLong(Sse.Frame::id).toArray()).containsExactly(LongStream.rangeClosed(1, live.size()).toArray());
    assertThat(live.get(0).event()).isEqualTo("run_started");
    assertThat(live.get(live.size() - 1).event()).isEqualTo("run_completed");
    for (Sse.Frame f : live) {
      assertThat(MAPPER.readTree(f.data()).path("seq").asLong()).isEqualTo(f.id());
      assertThat(MAPPER.readTree(f.data()).path("type").asText()).isEqualTo(f.event());
    }
    String runId = MAPPER.readTree(live.get(0).data()).path("run_id").asText();
    for (long k : new long[] {0, 1, live.size() / 2, live.size() - 1, live.size()}) {
      try (Response r = get("/apps/" + app + "/builder/runs/" + runId + "/events", Map.of("Last-Event-ID", Long.toString(k)))) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(Sse.readAll(r.body().source())).as("after " + k).isEqualTo(live.subList((int) k, live.size()));
      }
    }
    try (Response r = get("/apps/" + app + "/builder/runs/" + runId + "/events?last_event_id=2", Map.of())) {
      assertThat(Sse.readAll(r.body().source())).isEqualTo(live.subList(2, live.size()));
    }
    try (Response r = get("/apps/" + app + "/builder/runs/" + runId + "/events", Map.of("Last-Event-ID", "-1"))) {
      assertThat(r.code()).isEqualTo(400);
    }
    try (Response r = get("/apps/" + app + "/builder/runs/run_none/events", Map.of())) {
      assertThat(r.code()).isEqualTo(404);
    }
    JsonNode runs = json(get("/apps/" + app + "/builder/runs", Map.of()));
    assertThat(runs.path("run_ids").get(0).asText()).isEqualTo(runId);
  }

  @Test
  void historyEndpointsUndoRedoRestoreRevertAndDiff() throws Exception {
    String app = createApp("history-app");
    chat(app, "write n.txt");
    JsonNode list = json(get("/apps/" + app + "/builder/checkpoints", Map.of()));
    assertThat(list.path("checkpoints")).hasSize(2);
    assertThat(list.path("can_undo").asBoolean()).isTrue();
    String initial = list.path("checkpoints").get(1).path("id").asText();
    String head = list.path("head_id").asText();
    JsonNode diff = json(get("/apps/" + app + "/builder/diff?from=" + initial + "&to=" + head, Map.of()));
    assertThat(diff.path("files").get(0).path("path").asText()).isEqualTo("n.txt");

    JsonNode undo = json(post("/apps/" + app + "/builder/undo", "{}", Map.of(), JSON));
    assertThat(undo.path("checkpoint").path("checkpoint_type").asText()).isEqualTo("undo");
    assertThat(undo.path("can_redo").asBoolean()).isTrue();
    assertThat(chatBuilder.sandbox(app).tryRead("n.txt")).isEmpty();
    JsonNode redo = json(post("/apps/" + app + "/builder/redo", "{}", Map.of(), JSON));
    assertThat(redo.path("checkpoint").path("checkpoint_type").asText()).isEqualTo("redo");
    assertThat(chatBuilder.sandbox(app).tryRead("n.txt")).isPresent();
    JsonNode revert = json(post("/apps/" + app + "/builder/revert-file",
        "{\"checkpoint_id\":\"" + initial + "\",\"path\":\"n.txt\"}", Map.of(), JSON));
    assertThat(revert.path("checkpoint").path("checkpoint_type").asText()).isEqualTo("revert_file");
    assertThat(chatBuilder.sandbox(app).tryRead("n.txt")).isEmpty();
    JsonNode restore = json(post("/apps/" + app + "/builder/restore", "{\"checkpoint_id\":\"" + head + "\"}", Map.of(), JSON));
    assertThat(restore.path("checkpoint").path("checkpoint_type").asText()).isEqualTo("restore");
    assertThat(chatBuilder.sandbox(app).tryRead("n.txt")).isPresent();
    JsonNode files = json(get("/apps/" + app + "/builder/checkpoints/" + head + "/files", Map.of()));
    assertThat(files.path("files").findValuesAsText("path")).contains("index.html", "n.txt");
  }
}
