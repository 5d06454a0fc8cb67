package io.chatbuilder.examples.springhost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.testing.ScriptedModel;
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
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The sample host over real HTTP with two users: alice can neither list, read, chat with, undo nor
 * publish bob's apps, and bob can use his own, over the HTTP API and over MCP. Run on H2 and on
 * PostgreSQL by the subclasses.
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
      String stream = r.body().string();
      assertThat(stream).containsPattern("(?m)^event: ?run_completed$");
      // The Spring Security user the run was for is in its run_started event, on the wire and in the store.
      assertThat(stream).containsPattern("(?m)^data: ?\\{\"type\":\"run_started\".*\"principal\":\"bob\"");
      String runId = chatBuilder.runIds("bob-blog", 1).get(0);
      assertThat(((Event.RunStarted) chatBuilder.events("bob-blog", runId, 0).get(0)).principal()).contains("bob");
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

  // ------------------------------------------------------------------ the same over MCP

  private final List<McpSyncClient> mcpClients = new ArrayList<>();

  @AfterEach
  void closeMcpClients() {
    mcpClients.forEach(McpSyncClient::closeGracefully);
  }

  private McpSyncClient mcp(String user, String password) {
    HttpRequest.Builder request = HttpRequest.newBuilder().header("Authorization", Credentials.basic(user, password));
    McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
        .endpoint("/admin/mcp").requestBuilder(request).build()).requestTimeout(Duration.ofSeconds(60)).build();
    mcpClients.add(client);
    client.initialize();
    return client;
  }

  private static McpSchema.CallToolResult tool(McpSyncClient client, String name, Map<String, Object> arguments) {
    return client.callTool(new McpSchema.CallToolRequest(name, arguments));
  }

  private static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  @Test
  @SuppressWarnings("unchecked")
  void overMcpTooAliceCannotTouchBobsAppsAndBobUsesHisOwn() throws Exception {
    McpSyncClient bob = mcp("bob", BOB_PASSWORD);
    if (chatBuilder.head("bob-tools").isEmpty()) {
      assertThat(tool(bob, "create_app", Map.of("app_id", "bob-tools", "template_id", "blank")).isError()).isFalse();
    }
    McpSchema.CallToolResult chat = tool(bob, "chat", Map.of("app_id", "bob-tools", "message", "write n.txt"));
    assertThat(chat.isError()).as(text(chat)).isFalse();
    String runId = (String) ((Map<String, Object>) chat.structuredContent()).get("run_id");
    McpSchema.CallToolResult events = tool(bob, "run_events",
        Map.of("app_id", "bob-tools", "run_id", runId, "wait_seconds", 30));
    assertThat(((Map<String, Object>) events.structuredContent()).get("done")).isEqualTo(true);
    assertThat(text(events)).contains("\"run_completed\"");
    int checkpoints = chatBuilder.checkpoints("bob-tools", 100).size();

    McpSyncClient alice = mcp("alice", ALICE_PASSWORD);
    McpSchema.CallToolResult undo = tool(alice, "undo", Map.of("app_id", "bob-tools"));
    assertThat(undo.isError()).isTrue();
    assertThat(text(undo)).isEqualTo("unauthorized: alice may not undo app bob-tools");
    for (String name : List.of("list_checkpoints", "list_files", "publish", "redo")) {
      McpSchema.CallToolResult r = tool(alice, name, Map.of("app_id", "bob-tools"));
      assertThat(text(r)).as(name).startsWith("unauthorized: alice may not");
    }
    assertThat(text(tool(alice, "read_file", Map.of("app_id", "bob-tools", "path", "n.txt")))).startsWith("unauthorized:");
    assertThat(text(tool(alice, "run_events", Map.of("app_id", "bob-tools", "run_id", runId)))).startsWith("unauthorized:");
    assertThat(text(tool(alice, "chat", Map.of("app_id", "bob-tools", "message", "x")))).startsWith("unauthorized:");
    assertThat(text(tool(alice, "list_apps", Map.of()))).doesNotContain("bob-");
    assertThat(chatBuilder.checkpoints("bob-tools", 100)).hasSize(checkpoints);
    // The MCP endpoint is behind the same login: no credentials, no session.
    try (Response r = http.newCall(new Request.Builder().url("http://localhost:" + port + "/admin/mcp")
        .header("Accept", "application/json, text/event-stream")
        .post(RequestBody.create("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", JSON)).build()).execute()) {
      assertThat(r.code()).isEqualTo(401);
    }
  }
}
