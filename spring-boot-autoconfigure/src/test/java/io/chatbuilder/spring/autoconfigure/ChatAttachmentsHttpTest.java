package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.testing.ScriptedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
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
 * {@code POST .../builder/chat/stream} with attachments over real HTTP: they reach the model with the
 * referenced file read from the app's sandbox, and every bad one is refused with its code and status
 * before a run starts. Chat bodies have their own size cap (images), other bodies keep theirs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "chatbuilder.sandbox.isolation=unisolated"})
class ChatAttachmentsHttpTest {
  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String PNG_B64 =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    ScriptedModel model() {
      return ScriptedModel.responding(request -> Optional.of(ScriptedModel.Turn.builder().text("Done.").build()));
    }

    @Bean
    AppTemplate template() {
      return Fixtures.template();
    }

    @Bean
    AppAccessPolicy policy() {
      return AppAccessPolicy.allowAll();
    }
  }

  private static Path apps;

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-attach-test");
    apps = dir.resolve("apps");
    registry.add("chatbuilder.sandbox.base-directory", () -> apps.toString());
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  @Autowired
  ScriptedModel model;

  @Autowired
  org.springframework.context.ApplicationContext context;

  private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();

  private String base() {
    return "http://localhost:" + port + "/admin";
  }

  private Response post(String path, String body) throws IOException {
    return http.newCall(new Request.Builder().url(base() + path).post(RequestBody.create(body, JSON))
        .header("Origin", "http://localhost:" + port).build()).execute();
  }

  private void createApp(String appId) throws IOException {
    try (Response r = post("/apps", "{\"app_id\":\"" + appId + "\",\"template_id\":\"plain\"}")) {
      assertThat(r.code()).as(r.body().string()).isEqualTo(201);
    }
  }

  private List<ChatMessage.User> userTurnsSent() {
    return model.requests().stream().map(r -> r.messages().get(r.messages().size() - 1))
        .filter(m -> m instanceof ChatMessage.User).map(m -> (ChatMessage.User) m).toList();
  }

  private static String body(String attachments) {
    return "{\"message\":\"make the title bigger\",\"attachments\":[" + attachments + "]}";
  }

  @Test
  void attachmentsReachTheModelWithTheFileReadFromTheSandbox() throws Exception {
    createApp("attach-ok");
    int before = model.requests().size();
    String body = body("""
        {"type":"element","file":"index.html","line":1,"column":16,"tag":"h1","text":"hi"},
        {"type":"file","path":"index.html","start_line":1,"end_line":1},
        {"type":"diagnostic","kind":"compile_error","message":"Unexpected token","file":"index.html","line":1,"column":3},
        {"type":"image","media_type":"image/png","name":"mockup.png","data":"%s"}""".formatted(PNG_B64));
    try (Response r = post("/apps/attach-ok/builder/chat/stream", body)) {
      assertThat(r.code()).isEqualTo(200);
      List<Sse.Frame> frames = Sse.readAll(r.body().source());
      assertThat(frames.get(frames.size() - 1).event()).isEqualTo("run_completed");
    }
    ChatMessage.User sent = (ChatMessage.User) model.requests().get(before).messages().get(0);
    assertThat(sent.text()).isEqualTo("make the title bigger");
    assertThat(sent.attachments()).containsExactly(
        new Attachment.ElementSelection("index.html", 1, 16, "h1", Optional.of("hi")),
        new Attachment.FileReference("index.html", OptionalInt.of(1), OptionalInt.of(1),
            Optional.of("1\t<!doctype html><h1>hi</h1>\n")),
        new Attachment.DiagnosticReport(PreviewDiagnostic.Kind.COMPILE_ERROR, "Unexpected token", Optional.of("index.html"),
            OptionalInt.of(1), OptionalInt.of(3)),
        new Attachment.Image("image/png", Optional.of("mockup.png"), PNG_B64));
    assertThat(sent.textWithContext()).contains("Selected element <h1> at index.html:1:16 with text \"hi\"")
        .contains("Preview error (compile_error) at index.html:1:3: Unexpected token");
    // kept with the message in the conversation (the JDBC store on Boot's embedded H2)
    assertThat(context.getBeanNamesForType(io.chatbuilder.store.jdbc.JdbcStores.class)).isNotEmpty();
    assertThat(chatBuilder.conversation("attach-ok").get(0)).isEqualTo(sent);
  }

  @Test
  void badAttachmentsAreRefusedWithTheirCodeAndStartNoRun() throws Exception {
    createApp("attach-bad");
    int before = model.requests().size();
    byte[] big = new byte[Attachment.MAX_IMAGE_BYTES + 1];
    System.arraycopy(Base64.getDecoder().decode(PNG_B64), 0, big, 0, 8);
    String[][] cases = {
        {body("{\"type\":\"video\",\"data\":\"x\"}"), "400", "invalid_argument", "unknown attachment type 'video'"},
        {body("{\"type\":\"file\",\"path\":\"../../etc/passwd\"}"), "400", "path_refused", "'..' would leave the app root"},
        {body("{\"type\":\"element\",\"file\":\"/etc/passwd\",\"line\":1,\"column\":1,\"tag\":\"a\"}"), "400", "path_refused",
            "absolute paths are not allowed"},
        {body("{\"type\":\"file\",\"path\":\"missing.html\"}"), "404", "not_found", "missing.html"},
        {body("{\"type\":\"image\",\"media_type\":\"image/png\",\"data\":\"%%%%\"}"), "400", "invalid_argument", "not valid base64"},
        {body("{\"type\":\"image\",\"media_type\":\"image/gif\",\"data\":\"" + PNG_B64 + "\"}"), "400", "invalid_argument",
            "do not match media_type image/gif: they are image/png"},
        {body("{\"type\":\"image\",\"media_type\":\"image/bmp\",\"data\":\"" + PNG_B64 + "\"}"), "400", "invalid_argument",
            "'image/bmp' is not supported"},
        {body("{\"type\":\"image\",\"media_type\":\"image/png\",\"data\":\"" + Base64.getEncoder().encodeToString(big) + "\"}"),
            "413", "too_large", "image is larger than"},
        {body("{\"type\":\"element\",\"file\":\"index.html\",\"column\":1,\"tag\":\"h1\"}"), "400", "invalid_argument",
            "attachments[0]: missing field 'line'"},
        {body("{\"type\":\"diagnostic\",\"kind\":\"compile\",\"message\":\"m\"}"), "400", "invalid_argument",
            "unknown diagnostic kind 'compile'"},
        {"{\"message\":\"m\",\"attachments\":\"index.html\"}", "400", "invalid_argument", "'attachments' must be an array"},
        {"{\"attachments\":[]}", "400", "invalid_argument", "missing field 'message'"},
    };
    for (String[] c : cases) {
      try (Response r = post("/apps/attach-bad/builder/chat/stream", c[0])) {
        JsonNode error = MAPPER.readTree(r.body().string());
        assertThat(r.code()).as(c[3] + ": " + error).isEqualTo(Integer.parseInt(c[1]));
        assertThat(error.path("code").asText()).as(c[3]).isEqualTo(c[2]);
        assertThat(error.path("message").asText()).contains(c[3]);
      }
    }
    assertThat(model.requests()).hasSize(before);
    assertThat(chatBuilder.runIds("attach-bad", 10)).isEmpty();
    assertThat(chatBuilder.conversation("attach-bad")).isEmpty();
    assertThat(chatBuilder.activeRun("attach-bad")).isEmpty();
  }

  @Test
  void aReferenceThroughASymlinkLeadingOutOfTheAppIsRefusedByTheRealSandboxAndNothingIsRead() throws Exception {
    createApp("attach-link");
    Path outside = Files.createTempFile("chatbuilder-secret", ".txt");
    Files.writeString(outside, "TOP-SECRET host file\n");
    Files.createSymbolicLink(apps.resolve("attach-link").resolve("leak.txt"), outside);
    Files.createSymbolicLink(apps.resolve("attach-link").resolve("etc"), outside.getParent());
    int before = model.requests().size();
    for (String path : List.of("leak.txt", "etc/" + outside.getFileName())) {
      try (Response r = post("/apps/attach-link/builder/chat/stream", body("{\"type\":\"file\",\"path\":\"" + path + "\"}"))) {
        String answer = r.body().string();
        assertThat(r.code()).as(path + ": " + answer).isEqualTo(400);
        assertThat(MAPPER.readTree(answer).path("code").asText()).as(answer).isEqualTo("path_refused");
        assertThat(answer).doesNotContain("TOP-SECRET");
      }
    }
    assertThat(model.requests()).hasSize(before);
    assertThat(chatBuilder.runIds("attach-link", 10)).isEmpty();
  }

  @Test
  void aChatBodyMayCarryImagesBeyondTheGeneralBodyCapButNotBeyondItsOwn() throws Exception {
    createApp("attach-size");
    // 2 MiB of image: over the 1 MiB cap of other bodies, under the chat cap
    byte[] image = new byte[2 * 1024 * 1024];
    System.arraycopy(Base64.getDecoder().decode(PNG_B64), 0, image, 0, 8);
    String b64 = Base64.getEncoder().encodeToString(image);
    try (Response r = post("/apps/attach-size/builder/chat/stream",
        body("{\"type\":\"image\",\"media_type\":\"image/png\",\"data\":\"" + b64 + "\"}"))) {
      assertThat(r.code()).isEqualTo(200);
      Sse.readAll(r.body().source());
    }
    RunHandle run = chatBuilder.activeRun("attach-size").orElse(null);
    if (run != null) {
      run.completion().get(60, TimeUnit.SECONDS);
    }
    assertThat(userTurnsSent().get(userTurnsSent().size() - 1).images().get(0).data()).isEqualTo(b64);
    try (Response r = post("/apps/attach-size/builder/restore", "{\"checkpoint_id\":\"" + b64 + "\"}")) {
      assertThat(r.code()).isEqualTo(413);
      assertThat(MAPPER.readTree(r.body().string()).path("message").asText()).contains("larger than 1048576 bytes");
    }
    String huge = "x".repeat(12 * 1024 * 1024 + 1);
    try (Response r = post("/apps/attach-size/builder/chat/stream", "{\"message\":\"" + huge + "\"}")) {
      assertThat(r.code()).isEqualTo(413);
      assertThat(MAPPER.readTree(r.body().string()).path("message").asText()).contains("larger than 12582912 bytes");
    }
  }
}
