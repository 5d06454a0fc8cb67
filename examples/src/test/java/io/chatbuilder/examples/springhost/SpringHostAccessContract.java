package io.chatbuilder.examples.springhost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ScriptedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Credentials;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The sample host over real HTTP with two users: alice can neither list, read, chat with, undo nor
 * publish bob's apps, and bob can use his own. Run on H2 and on PostgreSQL by the subclasses.
 */
abstract class SpringHostAccessContract {
  static final String ALICE_PASSWORD = "alice-pw-for-tests";
  static final String BOB_PASSWORD = "bob-pw-for-tests";
  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The model the tests script: each run writes a file, then answers. */
  @TestConfiguration(proxyBeanMethods = false)
  static class ScriptedModelConfiguration {
    @Bean
    ModelClient scriptedModel() {
      AtomicInteger n = new AtomicInteger();
      return ScriptedModel.responding(request -> {
        List<ChatMessage> messages = request.messages();
        return Optional.of(messages.get(messages.size() - 1) instanceof ChatMessage.ToolResult
            ? ScriptedModel.Turn.builder().text("done").build()
            : ScriptedModel.Turn.builder()
                .toolCall("write_file", "{\"path\":\"n.txt\",\"content\":\"" + n.incrementAndGet() + "\"}").build());
      });
    }
  }

  static void commonProperties(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-springhost");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
    registry.add("chatbuilder.sandbox.isolation", () -> "unisolated");
    registry.add("server.address", () -> "127.0.0.1");
    registry.add("springhost.alice-password", () -> ALICE_PASSWORD);
    registry.add("springhost.bob-password", () -> BOB_PASSWORD);
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();

  private Response call(String user, String password, String method, String path, String body) throws IOException {
    Request.Builder r = new Request.Builder().url("http://localhost:" + port + "/admin" + path);
    if (user != null) {
      r.header("Authorization", Credentials.basic(user, password));
    }
    r.method(method, body == null ? null : RequestBody.create(body, JSON));
    return http.newCall(r.build()).execute();
  }

  private Response alice(String method, String path, String body) throws IOException {
    return call("alice", ALICE_PASSWORD, method, path, body);
  }

  private Response bob(String method, String path, String body) throws IOException {
    return call("bob", BOB_PASSWORD, method, path, body);
  }

  private static JsonNode json(Response r) throws IOException {
    try (r) {
      return MAPPER.readTree(r.body().string());
    }
  }

  private static List<String> appIds(Response r) throws IOException {
    List<String> ids = new ArrayList<>();
    json(r).path("apps").forEach(app -> ids.add(app.path("app_id").asText()));
    return ids;
  }

  private void create(String user, String password, String appId) throws IOException {
    if (chatBuilder.head(appId).isPresent()) {
      return; // the database outlives one test
    }
    try (Response r = call(user, password, "POST", "/apps", "{\"app_id\":\"" + appId + "\",\"template_id\":\"blank\"}")) {
      assertThat(r.code()).as(r.body().string()).isEqualTo(201);
    }
  }

  private void bobChats() throws IOException {
    try (Response r = bob("POST", "/apps/bob-blog/builder/chat/stream", "{\"message\":\"write n.txt\"}")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).containsPattern("(?m)^event: ?run_completed$");
    }
  }

  @Test
  void eachUserListsOnlyTheirOwnApps() throws Exception {
    create("alice", ALICE_PASSWORD, "alice-shop");
    create("bob", BOB_PASSWORD, "bob-blog");
    assertThat(appIds(alice("GET", "/apps", null))).containsExactly("alice-shop");
    assertThat(appIds(bob("GET", "/apps", null))).containsExactly("bob-blog");
  }

  @Test
  void aliceCannotReadChatWithUndoOrPublishBobsApps() throws Exception {
    create("bob", BOB_PASSWORD, "bob-blog");
    bobChats();
    String head = chatBuilder.head("bob-blog").orElseThrow().id();
    String runId = chatBuilder.runIds("bob-blog", 1).get(0);
    int checkpoints = chatBuilder.checkpoints("bob-blog", 500).size();
    int runs = chatBuilder.runIds("bob-blog", 500).size();
    String app = "/apps/bob-blog/builder";
    List<String[]> attempts = new ArrayList<>(List.of(
        new String[] {"GET", app + "/checkpoints", null},
        new String[] {"GET", app + "/checkpoints/" + head, null},
        new String[] {"GET", app + "/checkpoints/" + head + "/files", null},
        new String[] {"GET", app + "/diff?from=" + head + "&to=" + head, null},
        new String[] {"GET", app + "/runs", null},
        new String[] {"GET", app + "/runs/" + runId + "/events", null},
        new String[] {"GET", app + "/draft", null},
        new String[] {"GET", app + "/publishes", null},
        new String[] {"POST", app + "/chat/stream", "{\"message\":\"delete everything\"}"},
        new String[] {"POST", app + "/cancel", "{}"},
        new String[] {"POST", app + "/undo", "{}"},
        new String[] {"POST", app + "/redo", "{}"},
        new String[] {"POST", app + "/restore", "{\"checkpoint_id\":\"" + head + "\"}"},
        new String[] {"POST", app + "/revert-file", "{\"checkpoint_id\":\"" + head + "\",\"path\":\"n.txt\"}"},
        new String[] {"POST", app + "/draft", "{}"},
        new String[] {"POST", app + "/publish", "{}"}));
    for (String[] a : attempts) {
      try (Response r = alice(a[0], a[1], a[2])) {
        assertThat(r.code()).as(a[0] + " " + a[1]).isEqualTo(403);
        JsonNode body = MAPPER.readTree(r.body().string());
        assertThat(body.path("code").asText()).isEqualTo("unauthorized");
        assertThat(body.path("message").asText()).contains("alice");
      }
    }
    assertThat(chatBuilder.checkpoints("bob-blog", 500)).hasSize(checkpoints);
    assertThat(chatBuilder.runIds("bob-blog", 500)).hasSize(runs);
    assertThat(chatBuilder.head("bob-blog").orElseThrow().id()).isEqualTo(head);
    // The same requests are bob's to make: the policy tells owners apart, it does not deny everything.
    try (Response r = bob("GET", app + "/checkpoints", null)) {
      assertThat(r.code()).isEqualTo(200);
    }
    JsonNode undo = json(bob("POST", app + "/undo", "{}"));
    assertThat(undo.path("checkpoint").path("checkpoint_type").asText()).isEqualTo("undo");
  }

  @Test
  void aliceCannotCreateAnAppInBobsNameNorLearnWhichOfHisAppsExist() throws Exception {
    try (Response r = alice("POST", "/apps", "{\"app_id\":\"bob-stolen\",\"template_id\":\"blank\"}")) {
      assertThat(r.code()).isEqualTo(403);
    }
    assertThat(chatBuilder.head("bob-stolen")).isEmpty();
    try (Response r = alice("GET", "/apps/bob-nothing-here/builder/checkpoints", null)) {
      assertThat(r.code()).isEqualTo(403); // not 404: existence is bob's business
    }
  }

  @Test
  void withoutValidCredentialsNothingIsAnswered() throws Exception {
    try (Response r = call(null, null, "GET", "/apps", null)) {
      assertThat(r.code()).isEqualTo(401);
    }
    try (Response r = call("alice", "wrong", "GET", "/apps", null)) {
      assertThat(r.code()).isEqualTo(401);
    }
    try (Response r = call(null, null, "POST", "/apps", "{\"app_id\":\"anonymous-x\"}")) {
      assertThat(r.code()).isEqualTo(401);
    }
    assertThat(chatBuilder.head("anonymous-x")).isEmpty();
  }
}
