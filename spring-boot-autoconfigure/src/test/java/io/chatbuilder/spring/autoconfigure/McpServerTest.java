package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * The auto-configured MCP server over its Streamable HTTP transport, on a random port, driven by
 * the MCP Java SDK's own client: tools are listed, an app is created, a chat with a scripted model
 * runs to its checkpoint, history tools move between checkpoints, and a caller the
 * {@link AppAccessPolicy} denies gets a clear {@code unauthorized} tool error and changes nothing.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "chatbuilder.sandbox.isolation=unisolated",
    "chatbuilder.mcp.enabled=true",
    "chatbuilder.mcp.max-wait=30s"})
class McpServerTest {
  /** Who the test's clients say they are; the host's resolver below trusts it (a test stand-in for a login). */
  static final String USER_HEADER = "X-Test-User";
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

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
    PrincipalResolver principals() {
      return request -> {
        String user = request.getHeader(USER_HEADER);
        return user == null ? AppPrincipal.ANONYMOUS : AppPrincipal.of(user, Set.of());
      };
    }

    /** Each user owns the apps named after them. */
    @Bean
    AppAccessPolicy policy() {
      return (principal, appId, action) -> !principal.anonymous() && appId.startsWith(principal.name() + "-");
    }
  }

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-mcp-test");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  private final List<McpSyncClient> clients = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    clients.forEach(McpSyncClient::closeGracefully);
    for (String app : chatBuilder.checkpointStore().apps()) {
      RunHandle run = chatBuilder.activeRun(app).orElse(null);
      if (run != null) {
        run.completion().get(60, TimeUnit.SECONDS);
      }
    }
  }

  private McpSyncClient client(String user) {
    HttpRequest.Builder request = HttpRequest.newBuilder();
    if (user != null) {
      request.header(USER_HEADER, user);
    }
    HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
        .endpoint("/admin/mcp").requestBuilder(request).build();
    McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build();
    clients.add(client);
    client.initialize();
    return client;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> ok(McpSchema.CallToolResult result) {
    assertThat(result.isError()).as(String.valueOf(result.content())).isFalse();
    return (Map<String, Object>) result.structuredContent();
  }

  private static String errorText(McpSchema.CallToolResult result) {
    assertThat(result.isError()).as(String.valueOf(result.content())).isTrue();
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  @SuppressWarnings("unchecked")
  private static String errorCode(McpSchema.CallToolResult result) {
    errorText(result);
    return (String) ((Map<String, Object>) result.structuredContent()).get("code");
  }

  private static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
    return client.callTool(new McpSchema.CallToolRequest(tool, arguments));
  }

  @Test
  @SuppressWarnings("unchecked")
  void listsEveryTool() {
    List<String> names = client("alice").listTools().tools().stream().map(McpSchema.Tool::name).toList();
    assertThat(names).containsExactlyInAnyOrder("list_apps", "create_app", "chat", "run_events", "cancel", "list_runs", "list_checkpoints",
        "undo", "redo", "restore", "revert_file", "diff", "list_files", "read_file", "draft_status", "start_draft",
        "publish", "list_publishes", "fork", "list_labels", "add_label", "remove_label");
    McpSchema.Tool chat = client("alice").listTools().tools().stream().filter(t -> t.name().equals("chat")).findFirst()
        .orElseThrow();
    assertThat((List<Object>) chat.inputSchema().get("required")).containsExactly("app_id", "message");
  }

  @Test
  void chatTakesAttachmentsThroughCoresMappingAndRefusesBadOnes() throws Exception {
    McpSyncClient alice = client("alice");
    ok(call(alice, "create_app", Map.of("app_id", "alice-attach", "template_id", "plain")));
    assertThat(errorText(call(alice, "chat", Map.of("app_id", "alice-attach", "message", "m",
        "attachments", List.of(Map.of("type", "file", "path", "../../etc/passwd"))))))
        .startsWith("path_refused: attachments[0]: path refused: '..' would leave the app root");
    assertThat(errorText(call(alice, "chat", Map.of("app_id", "alice-attach", "message", "m",
        "attachments", List.of(Map.of("type", "video"))))))
        .startsWith("invalid_argument: attachments[0]: unknown attachment type 'video'");
    assertThat(chatBuilder.runIds("alice-attach", 10)).isEmpty();
    Map<String, Object> started = ok(call(alice, "chat", Map.of("app_id", "alice-attach", "message", "bigger title",
        "attachments", List.of(Map.of("type", "element", "file", "index.html", "line", 1, "column", 16, "tag", "h1"),
            Map.of("type", "file", "path", "index.html")))));
    chatBuilder.activeRun("alice-attach").ifPresent(r -> r.completion().join());
    io.chatbuilder.core.model.ChatMessage.User user =
        (io.chatbuilder.core.model.ChatMessage.User) chatBuilder.conversation("alice-attach").get(0);
    assertThat(started.get("run_id")).isEqualTo(chatBuilder.runIds("alice-attach", 1).get(0));
    assertThat(user.textWithContext()).contains("Selected element <h1> at index.html:1:16")
        .contains("File index.html:\n```\n1\t<!doctype html><h1>hi</h1>\n```");
  }

  @Test
  @SuppressWarnings("unchecked")
  void createsChatsReadsAndWalksHistory() throws IOException {
    McpSyncClient alice = client("alice");
    Map<String, Object> created = ok(call(alice, "create_app", Map.of("app_id", "alice-shop", "template_id", "plain")));
    assertThat(created.get("app_id")).isEqualTo("alice-shop");
    String initial = (String) ((Map<String, Object>) created.get("checkpoint")).get("id");

    Map<String, Object> started = ok(call(alice, "chat", Map.of("app_id", "alice-shop", "message", "write n.txt")));
    String runId = (String) started.get("run_id");
    assertThat(runId).startsWith("run_");

    // Wait for the run in pages: each call returns what came after the last one, gapless, until done.
    List<Map<String, Object>> events = new ArrayList<>();
    long after = 0;
    boolean done = false;
    for (int i = 0; i < 100 && !done; i++) {
      Map<String, Object> page = ok(call(alice, "run_events",
          Map.of("app_id", "alice-shop", "run_id", runId, "after_seq", after, "wait_seconds", 20, "max_events", 3)));
      List<Map<String, Object>> got = (List<Map<String, Object>>) page.get("events");
      events.addAll(got);
      after = ((Number) page.get("last_seq")).longValue();
      done = (Boolean) page.get("done");
    }
    assertThat(done).isTrue();
    assertThat(events.stream().mapToLong(e -> ((Number) e.get("seq")).longValue()).toArray())
        .containsExactly(LongStream.rangeClosed(1, events.size()).toArray());
    for (Map<String, Object> e : events) {
      Contracts.assertValid(Contracts.EVENTS, MAPPER.writeValueAsString(e)); // the published events schema
    }
    assertThat(events.get(0).get("type")).isEqualTo("run_started");
    assertThat(events.get(events.size() - 1).get("type")).isEqualTo("run_completed");
    assertThat(events).anySatisfy(e -> assertThat(e.get("type")).isEqualTo("checkpoint_created"));
    // The same events as the facade's log, in the API's JSON.
    assertThat(events).hasSize(chatBuilder.events("alice-shop", runId, 0).size());
    // A finished run answers at once, from the log.
    Map<String, Object> replay = ok(call(alice, "run_events", Map.of("app_id", "alice-shop", "run_id", runId, "after_seq", 2)));
    assertThat((List<Object>) replay.get("events")).hasSize(events.size() - 2);
    assertThat(replay.get("done")).isEqualTo(true);

    // What the run wrote (the scripted model numbers its writes across the tests of this class).
    Object written = ((Map<String, Object>) events.stream().filter(e -> e.get("type").equals("tool_started")).findFirst()
        .orElseThrow().get("arguments")).get("content");
    assertThat(written).asString().matches("[0-9]+");
    assertThat(ok(call(alice, "read_file", Map.of("app_id", "alice-shop", "path", "n.txt"))).get("content")).isEqualTo(written);
    Map<String, Object> checkpoints = ok(call(alice, "list_checkpoints", Map.of("app_id", "alice-shop")));
    assertThat((List<Object>) checkpoints.get("checkpoints")).hasSize(2);
    assertThat(checkpoints.get("can_undo")).isEqualTo(true);
    String head = (String) checkpoints.get("head_id");
    Map<String, Object> diff = ok(call(alice, "diff", Map.of("app_id", "alice-shop", "from", initial, "to", head)));
    assertThat(((List<Map<String, Object>>) diff.get("files")).get(0).get("path")).isEqualTo("n.txt");

    Map<String, Object> undo = ok(call(alice, "undo", Map.of("app_id", "alice-shop")));
    assertThat(((Map<String, Object>) undo.get("checkpoint")).get("checkpoint_type")).isEqualTo("undo");
    assertThat(undo.get("can_redo")).isEqualTo(true);
    assertThat(chatBuilder.sandbox("alice-shop").tryRead("n.txt")).isEmpty();
    assertThat(errorCode(call(alice, "read_file", Map.of("app_id", "alice-shop", "path", "n.txt")))).isEqualTo("not_found");
    ok(call(alice, "redo", Map.of("app_id", "alice-shop")));
    assertThat(chatBuilder.sandbox("alice-shop").tryRead("n.txt")).isPresent();
    Map<String, Object> restore = ok(call(alice, "restore", Map.of("app_id", "alice-shop", "checkpoint_id", initial)));
    assertThat(((Map<String, Object>) restore.get("checkpoint")).get("checkpoint_type")).isEqualTo("restore");
    assertThat(chatBuilder.sandbox("alice-shop").tryRead("n.txt")).isEmpty();
    // The text content is the same JSON, for clients that ignore structured content.
    McpSchema.CallToolResult files = call(alice, "list_files", Map.of("app_id", "alice-shop"));
    assertThat(((McpSchema.TextContent) files.content().get(0)).text()).contains("\"index.html\"");
  }

  @Test
  @SuppressWarnings("unchecked")
  void forksAndLabelsCheckpointsWithinThePolicy() {
    McpSyncClient alice = client("alice");
    Map<String, Object> created = ok(call(alice, "create_app", Map.of("app_id", "alice-site", "template_id", "plain")));
    String initial = (String) ((Map<String, Object>) created.get("checkpoint")).get("id");

    Map<String, Object> labels = ok(call(alice, "add_label", Map.of("app_id", "alice-site", "checkpoint_id", initial, "label", "v1.0")));
    assertThat((List<Object>) labels.get("labels")).containsExactly("v1.0");
    ok(call(alice, "add_label", Map.of("app_id", "alice-site", "checkpoint_id", initial, "label", "bookmark")));
    Map<String, Object> found = ok(call(alice, "list_labels", Map.of("app_id", "alice-site", "label", "v1", "prefix", true)));
    List<Map<String, Object>> checkpoints = (List<Map<String, Object>>) found.get("checkpoints");
    assertThat(checkpoints).hasSize(1);
    assertThat(ok(call(alice, "list_labels", Map.of("app_id", "alice-site", "label", "v1"))).get("checkpoints")).asList().isEmpty();
    Map<String, Object> removed = ok(call(alice, "remove_label", Map.of("app_id", "alice-site", "checkpoint_id", initial, "label", "v1.0")));
    assertThat((List<Object>) removed.get("labels")).containsExactly("bookmark");
    // An argument of the wrong type is refused against the tool's input schema, before the tool runs.
    McpSchema.CallToolResult wrongType = call(alice, "list_labels", Map.of("app_id", "alice-site", "prefix", "yes"));
    assertThat(wrongType.isError()).isTrue();
    assertThat(((McpSchema.TextContent) wrongType.content().get(0)).text()).contains("prefix");

    Map<String, Object> fork = ok(call(alice, "fork", Map.of("app_id", "alice-site", "checkpoint_id", initial, "new_app_id", "alice-remix")));
    assertThat(fork.get("source_app_id")).isEqualTo("alice-site");
    assertThat(((Map<String, Object>) fork.get("checkpoint")).get("checkpoint_type")).isEqualTo("fork");
    assertThat(chatBuilder.sandbox("alice-remix").tryRead("index.html")).isPresent();
    // The policy guards both ends: alice cannot fork into an app she does not own, nor label bob's.
    assertThat(errorCode(call(alice, "fork", Map.of("app_id", "alice-site", "checkpoint_id", initial, "new_app_id", "bob-copy"))))
        .isEqualTo("unauthorized");
    assertThat(chatBuilder.head("bob-copy")).isEmpty();
    assertThat(errorCode(call(alice, "add_label", Map.of("app_id", "bob-app", "checkpoint_id", initial, "label", "x"))))
        .isEqualTo("unauthorized");
  }

  @Test
  void aDeniedPrincipalGetsAClearErrorAndChangesNothing() {
    McpSyncClient alice = client("alice");
    ok(call(alice, "create_app", Map.of("app_id", "alice-notes")));
    int checkpoints = chatBuilder.checkpoints("alice-notes", 100).size();

    McpSyncClient bob = client("bob");
    assertThat(errorText(call(bob, "undo", Map.of("app_id", "alice-notes"))))
        .isEqualTo("unauthorized: bob may not undo app alice-notes");
    assertThat(errorText(call(bob, "chat", Map.of("app_id", "alice-notes", "message", "delete everything"))))
        .isEqualTo("unauthorized: bob may not chat app alice-notes");
    // denied before the arguments are read: bad attachments do not tell bob anything either
    assertThat(errorText(call(bob, "chat", Map.of("app_id", "alice-notes", "message", "m",
        "attachments", List.of(Map.of("type", "file", "path", "../../etc/passwd"))))))
        .isEqualTo("unauthorized: bob may not chat app alice-notes");
    Map<String, Map<String, Object>> calls = Map.of(
        "list_checkpoints", Map.of("app_id", "alice-notes"),
        "read_file", Map.of("app_id", "alice-notes", "path", "index.html"),
        "publish", Map.of("app_id", "alice-notes"),
        "restore", Map.of("app_id", "alice-notes", "checkpoint_id", "x"),
        "list_files", Map.of("app_id", "alice-notes"),
        "redo", Map.of("app_id", "alice-notes"),
        "cancel", Map.of("app_id", "alice-notes"),
        "run_events", Map.of("app_id", "alice-notes", "run_id", "run_x"));
    calls.forEach((tool, args) -> assertThat(errorCode(call(bob, tool, args))).as(tool).isEqualTo("unauthorized"));
    // Denied whether or not the app exists: bob cannot probe for alice's apps.
    assertThat(errorCode(call(bob, "list_checkpoints", Map.of("app_id", "alice-nothing")))).isEqualTo("unauthorized");
    assertThat(errorCode(call(alice, "list_checkpoints", Map.of("app_id", "alice-nothing")))).isEqualTo("not_found");
    assertThat(ok(call(bob, "list_apps", Map.of())).get("apps")).asList().isEmpty();
    assertThat(errorText(call(client(null), "list_checkpoints", Map.of("app_id", "alice-notes"))))
        .startsWith("unauthorized: anonymous may not read");

    assertThat(chatBuilder.checkpoints("alice-notes", 100)).hasSize(checkpoints);
    assertThat(chatBuilder.runIds("alice-notes", 10)).isEmpty();
  }

  @Test
  void badArgumentsAreInvalidArgumentErrors() {
    McpSyncClient alice = client("alice");
    ok(call(alice, "create_app", Map.of("app_id", "alice-args")));
    assertThat(errorText(call(alice, "restore", Map.of("app_id", "alice-args", "checkpoint_id", " "))))
        .startsWith("invalid_argument:");
    assertThat(errorCode(call(alice, "run_events", Map.of("app_id", "alice-args", "run_id", "run_none")))).isEqualTo("not_found");
    assertThat(errorCode(call(alice, "undo", Map.of("app_id", "alice-args")))).isEqualTo("nothing_to_do");
    assertThat(errorCode(call(alice, "publish", Map.of("app_id", "alice-args")))).isEqualTo("not_configured");
  }

  @Test
  void theEndpointIsBehindTheApiGuard() throws IOException {
    OkHttpClient http = new OkHttpClient();
    String init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    Request.Builder post = new Request.Builder().url("http://localhost:" + port + "/admin/mcp")
        .header("Accept", "application/json, text/event-stream")
        .post(RequestBody.create(init, MediaType.get("application/json")));
    try (Response r = http.newCall(post.header("Origin", "http://evil.example").build()).execute()) {
      assertThat(r.code()).isEqualTo(403);
    }
    try (Response r = http.newCall(post.removeHeader("Origin").header("Host", "evil.example").build()).execute()) {
      assertThat(r.code()).isEqualTo(403);
    }
    // The client ends its session with a bodiless DELETE: the guard lets it through (but not from a foreign origin).
    String session;
    try (Response r = http.newCall(post.removeHeader("Host").build()).execute()) {
      assertThat(r.code()).as(r.body().string()).isEqualTo(200);
      session = r.header("Mcp-Session-Id");
    }
    assertThat(session).isNotBlank();
    Request.Builder delete = new Request.Builder().url("http://localhost:" + port + "/admin/mcp").delete()
        .header("Mcp-Session-Id", session);
    try (Response r = http.newCall(delete.header("Origin", "http://evil.example").build()).execute()) {
      assertThat(r.code()).isEqualTo(403);
    }
    try (Response r = http.newCall(delete.removeHeader("Origin").build()).execute()) {
      assertThat(r.code()).as(r.body().string()).isBetween(200, 299);
    }
    Request plain = new Request.Builder().url("http://localhost:" + port + "/admin/mcp")
        .header("Accept", "application/json, text/event-stream")
        .post(RequestBody.create(init, MediaType.get("text/plain"))).build();
    try (Response r = http.newCall(plain).execute()) {
      assertThat(r.code()).isEqualTo(415);
    }
  }
}
