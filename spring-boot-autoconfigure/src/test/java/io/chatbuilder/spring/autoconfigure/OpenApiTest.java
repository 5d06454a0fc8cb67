package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * The served OpenAPI 3.1 document against the real controllers: every mapping is documented and
 * nothing documented is unmapped; and real answers of every endpoint (success and error) validate
 * against the schemas the document gives for their status, as the request bodies sent do.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "chatbuilder.sandbox.isolation=unisolated",
    "chatbuilder.http.base-path=/api/builder"})
class OpenApiTest {
  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String BASE = "/api/builder";

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    ModelClient model() {
      return Fixtures.writingModel(2);
    }

    @Bean
    AppTemplate template() {
      return Fixtures.template();
    }

    @Bean
    AppAccessPolicy policy() {
      return AppAccessPolicy.allowAll();
    }

    /** A stand-in for the host's publisher: the wire shape of a publish is what is checked here. */
    @Bean
    Publisher publisher() {
      List<PublishResult> done = new CopyOnWriteArrayList<>();
      return new Publisher() {
        @Override
        public PublishResult publish(String appId, Checkpoint checkpoint, CheckpointStore store, StatusListener listener) {
          PublishResult r = new PublishResult("pub_" + done.size(), appId, checkpoint.id(), checkpoint.resultRevisionId(),
              true, new TreeMap<>(Map.of("index.html", "h1")), "mh", "built", Optional.empty(),
              Optional.of("/sites/" + appId), Instant.now(), Duration.ofMillis(5));
          done.add(0, r);
          return r;
        }

        @Override
        public Optional<PublishResult> find(String appId, String publishId) {
          return done.stream().filter(r -> r.publishId().equals(publishId)).findFirst();
        }

        @Override
        public List<PublishResult> list(String appId, int limit) {
          return done.stream().filter(r -> r.appId().equals(appId)).limit(limit).toList();
        }
      };
    }

    @Bean
    DraftRuntime draftRuntime() {
      return new DraftRuntime() {
        @Override
        public DraftStatus start(String appId, StatusListener listener) {
          return new DraftStatus(appId, DraftState.RUNNING, Optional.of("http://127.0.0.1:1/"), List.of("ready"),
              Optional.empty(), 0, Instant.now());
        }

        @Override
        public DraftStatus status(String appId) {
          return new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, Instant.now());
        }

        @Override
        public void stop(String appId) {}

        @Override
        public void close() {}
      };
    }
  }

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-openapi-test");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();
  private JsonNode doc;
  private final Set<String> exercised = new HashSet<>();

  @AfterEach
  void waitForRuns() throws Exception {
    for (String app : chatBuilder.checkpointStore().apps()) {
      RunHandle run = chatBuilder.activeRun(app).orElse(null);
      if (run != null) {
        run.completion().get(60, TimeUnit.SECONDS);
      }
    }
  }

  private JsonNode doc() throws IOException {
    if (doc == null) {
      try (Response r = http.newCall(new Request.Builder().url("http://localhost:" + port + BASE + "/openapi.json").build())
          .execute()) {
        assertThat(r.code()).isEqualTo(200);
        doc = MAPPER.readTree(r.body().string());
      }
    }
    return doc;
  }

  /** {@code GET /apps/{}/builder/x}: path variables' names do not matter. */
  private static String normalize(String method, String path) {
    return method + " " + path.replaceAll("\\{[^}]+}", "{}");
  }

  @Test
  void theDocumentIsOpenApi31WithThisServersBasePath() throws IOException {
    assertThat(doc().path("openapi").asText()).startsWith("3.1.");
    assertThat(doc().path("servers").get(0).path("url").asText()).isEqualTo(BASE);
    assertThat(doc().path("jsonSchemaDialect").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    try (Response r = http.newCall(new Request.Builder().url("http://localhost:" + port + BASE + "/events.schema.json").build())
        .execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(MAPPER.readTree(r.body().string()).path("$defs").has("RunStarted")).isTrue();
    }
  }

  @Test
  void everyMappingIsDocumentedAndNothingElse() throws IOException {
    Set<String> mapped = new TreeSet<>();
    for (Map.Entry<RequestMappingInfo, HandlerMethod> e : mappings.getHandlerMethods().entrySet()) {
      Class<?> type = e.getValue().getBeanType();
      if (type != ChatBuilderApiController.class && type != ApiContractsController.class) {
        continue;
      }
      RequestMappingInfo info = e.getKey();
      assertThat(info.getMethodsCondition().getMethods()).as(info.toString()).hasSize(1);
      for (String pattern : info.getPathPatternsCondition().getPatternValues()) {
        info.getMethodsCondition().getMethods().forEach(m -> mapped.add(normalize(m.name(), pattern)));
      }
    }
    Set<String> documented = new TreeSet<>();
    doc().path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(method ->
        documented.add(normalize(method.toUpperCase(java.util.Locale.ROOT), BASE + p.getKey()))));
    assertThat(mapped).hasSizeGreaterThan(15);
    assertThat(documented).isEqualTo(mapped);
  }

  // ------------------------------------------------------------------ real answers against the document

  /** The schema location the document gives for an answer: its status's, else its default's. */
  private String responseSchema(String method, String path, int status) throws IOException {
    JsonNode responses = doc().path("paths").path(path).path(method.toLowerCase(java.util.Locale.ROOT)).path("responses");
    assertThat(responses.isObject()).as(method + " " + path + " is documented").isTrue();
    JsonNode response = responses.has(Integer.toString(status)) ? responses.get(Integer.toString(status)) : responses.get("default");
    assertThat(response).as(method + " " + path + " documents status " + status).isNotNull();
    return location(response.path("content").path("application/json").path("schema"));
  }

  private String requestSchema(String method, String path) throws IOException {
    return location(doc().path("paths").path(path).path(method.toLowerCase(java.util.Locale.ROOT))
        .path("requestBody").path("content").path("application/json").path("schema"));
  }

  private static String location(JsonNode schema) {
    String ref = schema.path("$ref").asText();
    assertThat(ref).as("schemas are references to components").startsWith("#/components/schemas/");
    return Contracts.OPENAPI + ref;
  }

  private JsonNode call(String method, String docPath, String path, String body) throws IOException {
    Request.Builder r = new Request.Builder().url("http://localhost:" + port + BASE + path);
    if (method.equals("POST")) {
      Contracts.assertValid(requestSchema(method, docPath), body);
      r.post(RequestBody.create(body, JSON)).header("Origin", "http://localhost:" + port);
    } else if (method.equals("DELETE")) {
      r.delete().header("Origin", "http://localhost:" + port);
    }
    try (Response response = http.newCall(r.build()).execute()) {
      String text = response.body().string();
      assertThat(response.header("Content-Type")).startsWith("application/json");
      Contracts.assertValid(responseSchema(method, docPath, response.code()), text);
      exercised.add(normalize(method, docPath) + " " + response.code());
      return MAPPER.readTree(text);
    }
  }

  private List<String> stream(String method, String docPath, String path, String body) throws IOException {
    Request.Builder r = new Request.Builder().url("http://localhost:" + port + BASE + path);
    if (method.equals("POST")) {
      Contracts.assertValid(requestSchema(method, docPath), body);
      r.post(RequestBody.create(body, JSON));
    }
    try (Response response = http.newCall(r.build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      JsonNode content = doc().path("paths").path(docPath).path(method.toLowerCase(java.util.Locale.ROOT))
          .path("responses").path("200").path("content");
      assertThat(content.has("text/event-stream")).isTrue();
      String eventSchema = location(content.path("text/event-stream").path("x-event-schema"));
      List<String> data = new ArrayList<>();
      for (Sse.Frame f : Sse.readAll(response.body().source())) {
        Contracts.assertValid(eventSchema, f.data());
        data.add(f.data());
      }
      return data;
    }
  }

  /** The first {@code count} frames of a stream that stays open (the app stream), checked against the document. */
  private List<Sse.Frame> openStream(String docPath, String path, String lastEventId, int count) throws IOException {
    Request.Builder r = new Request.Builder().url("http://localhost:" + port + BASE + path);
    if (lastEventId != null) {
      r.header("Last-Event-ID", lastEventId);
    }
    try (Response response = http.newCall(r.build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      JsonNode content = doc().path("paths").path(docPath).path("get").path("responses").path("200").path("content");
      String eventSchema = location(content.path("text/event-stream").path("x-event-schema"));
      List<Sse.Frame> frames = Sse.read(response.body().source(), count);
      for (Sse.Frame f : frames) {
        Contracts.assertValid(eventSchema, f.data());
      }
      exercised.add(normalize("GET", docPath) + " 200");
      return frames;
    }
  }

  @Test
  void realAnswersOfEveryEndpointMatchTheDocumentedSchemas() throws IOException {
    String app = "/apps/doc-app/builder";
    String a = "/apps/{app_id}/builder";
    JsonNode created = call("POST", "/apps", "/apps", "{\"app_id\":\"doc-app\",\"template_id\":\"plain\"}");
    String initial = created.path("checkpoint").path("id").asText();
    call("GET", "/apps", "/apps", null);
    List<String> events = stream("POST", a + "/chat/stream", app + "/chat/stream", "{\"message\":\"write n.txt\"}");
    String runId = MAPPER.readTree(events.get(0)).path("run_id").asText();
    assertThat(stream("GET", a + "/runs/{run_id}/events", app + "/runs/" + runId + "/events?last_event_id=1", null))
        .hasSize(events.size() - 1);
    call("GET", a + "/runs", app + "/runs", null);
    String head = call("GET", a + "/checkpoints", app + "/checkpoints?limit=10", null).path("head_id").asText();
    call("GET", a + "/checkpoints/{checkpoint_id}", app + "/checkpoints/" + head, null);
    call("GET", a + "/checkpoints/{checkpoint_id}/files", app + "/checkpoints/" + head + "/files", null);
    JsonNode file = call("GET", a + "/checkpoints/{checkpoint_id}/file", app + "/checkpoints/" + head + "/file?path=n.txt", null);
    assertThat(file.path("binary").asBoolean()).isFalse();
    assertThat(file.path("content").isTextual()).isTrue();
    call("GET", a + "/checkpoints/{checkpoint_id}/file", app + "/checkpoints/" + head + "/file?path=..%2Fx", null);
    call("GET", a + "/checkpoints/{checkpoint_id}/file", app + "/checkpoints/" + head + "/file?path=missing.txt", null);
    assertThat(call("GET", "/templates", "/templates", null).path("templates").get(0).path("id").asText()).isEqualTo("plain");
    call("GET", a + "/diff", app + "/diff?from=" + initial + "&to=" + head, null);
    call("POST", a + "/undo", app + "/undo", "{}");
    call("POST", a + "/redo", app + "/redo", "{}");
    call("POST", a + "/restore", app + "/restore", "{\"checkpoint_id\":\"" + initial + "\"}");
    call("POST", a + "/revert-file", app + "/revert-file", "{\"checkpoint_id\":\"" + head + "\",\"path\":\"n.txt\"}");
    call("POST", a + "/checkpoints/{checkpoint_id}/labels", app + "/checkpoints/" + initial + "/labels", "{\"label\":\"v1/first\"}");
    call("POST", a + "/checkpoints/{checkpoint_id}/labels", app + "/checkpoints/" + initial + "/labels", "{\"label\":\"bookmark\"}");
    JsonNode labelled = call("GET", a + "/labels", app + "/labels?label=v1&prefix=true", null);
    assertThat(labelled.path("checkpoints").get(0).path("labels").toString()).contains("v1/first");
    assertThat(labelled.path("checkpoints").get(0).path("bookmarked").asBoolean()).isTrue();
    call("DELETE", a + "/checkpoints/{checkpoint_id}/labels", app + "/checkpoints/" + initial + "/labels?label=v1%2Ffirst", null);
    assertThat(call("GET", a + "/labels", app + "/labels", null).path("checkpoints").get(0).path("labels").toString())
        .doesNotContain("v1/first");
    JsonNode forked = call("POST", a + "/fork", app + "/fork", "{\"checkpoint_id\":\"" + initial + "\",\"new_app_id\":\"doc-fork\"}");
    assertThat(forked.path("checkpoint").path("checkpoint_type").asText()).isEqualTo("fork");
    call("POST", a + "/fork", app + "/fork", "{\"checkpoint_id\":\"" + initial + "\",\"new_app_id\":\"doc-fork\"}");
    call("GET", a + "/labels", app + "/labels?prefix=maybe", null);
    call("POST", a + "/cancel", app + "/cancel", "{}");
    call("GET", a + "/draft", app + "/draft", null);
    call("POST", a + "/draft", app + "/draft", "{}");
    call("POST", a + "/publish", app + "/publish", "{}");
    call("POST", a + "/publish", app + "/publish", "{\"checkpoint_id\":\"" + initial + "\"}");
    call("GET", a + "/publishes", app + "/publishes", null);
    // The app stream has had at least: initial, run_started, the run's checkpoint, run_ended, undo,
    // redo, restore and revert-file.
    assertThat(openStream("/apps/{app_id}/events", "/apps/doc-app/events", null, 8)).extracting(Sse.Frame::id)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(openStream("/apps/{app_id}/events", "/apps/doc-app/events", "4", 1)).extracting(Sse.Frame::id).containsExactly(5L);
    // Errors have the documented shape too.
    call("GET", "/apps/{app_id}/events", "/apps/nope/events", null);
    call("GET", a + "/checkpoints", "/apps/nope/builder/checkpoints", null);
    call("POST", a + "/redo", app + "/redo", "{}");
    call("GET", a + "/diff", app + "/diff?from=" + initial, null);
    assertThat(exercised).contains("GET /apps/{}/builder/checkpoints 404", "POST /apps/{}/builder/redo 409",
        "GET /apps/{}/builder/diff 400", "POST /apps 201", "POST /apps/{}/builder/fork 201", "POST /apps/{}/builder/fork 409",
        "GET /apps/{}/builder/labels 400", "DELETE /apps/{}/builder/checkpoints/{}/labels 200",
        "GET /apps/{}/builder/checkpoints/{}/file 200", "GET /apps/{}/builder/checkpoints/{}/file 400",
        "GET /apps/{}/builder/checkpoints/{}/file 404", "GET /templates 200");
  }
}
