package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studio's HTTP hardening over real HTTP (one studio for the class): a foreign {@code Origin}
 * gets 403 on every state-changing endpoint it serves and changes nothing, a foreign {@code Host}
 * (DNS rebinding) is refused on the API and on the studio-only endpoints, and {@code text/plain} or
 * form POSTs (which a foreign page can send without a preflight) get 415.
 */
class StudioHttpGuardTest {
  private static final String EVIL = "http://evil.example";
  @TempDir static Path data;
  private static Studio studio;
  private static HttpTestClient client;
  private static String head;
  private final OkHttpClient http = new OkHttpClient.Builder().retryOnConnectionFailure(false)
      .readTimeout(Duration.ofSeconds(30)).build();

  @BeforeAll
  static void start() {
    studio = Studio.builder(data).port(0).model(new DemoModel(Duration.ZERO)).start();
    client = new HttpTestClient(studio.url());
    assertThat(client.call("POST", "/admin/apps", "{\"app_id\":\"shop\"}").status()).isEqualTo(201);
    head = studio.chatBuilder().head("shop").orElseThrow().id();
  }

  @AfterAll
  static void stop() {
    if (studio != null) {
      studio.close();
    }
  }

  /** Every state-changing endpoint the studio serves (the starter's; the studio-only ones only read), with a body it accepts. */
  private static List<String[]> stateChanging() {
    String cp = "/admin/apps/shop/builder/checkpoints/" + head + "/labels";
    return List.of(
        new String[] {"POST", "/admin/apps", "{\"app_id\":\"other\"}"},
        new String[] {"POST", "/admin/apps/shop/builder/chat/stream", "{\"message\":\"Build a counter app\"}"},
        new String[] {"POST", "/admin/apps/shop/builder/cancel", "{}"},
        new String[] {"POST", "/admin/apps/shop/builder/undo", "{}"},
        new String[] {"POST", "/admin/apps/shop/builder/redo", "{}"},
        new String[] {"POST", "/admin/apps/shop/builder/restore", "{\"checkpoint_id\":\"" + head + "\"}"},
        new String[] {"POST", "/admin/apps/shop/builder/revert-file", "{\"checkpoint_id\":\"" + head + "\",\"path\":\"index.html\"}"},
        new String[] {"POST", "/admin/apps/shop/builder/fork", "{\"checkpoint_id\":\"" + head + "\",\"new_app_id\":\"forked\"}"},
        new String[] {"POST", cp, "{\"label\":\"v1\"}"},
        new String[] {"DELETE", cp + "?label=v1", null},
        new String[] {"POST", "/admin/apps/shop/builder/draft", "{}"},
        new String[] {"POST", "/admin/apps/shop/builder/publish", "{}"});
  }

  /** The studio-only endpoints (all reads). */
  private static List<String> studioOnly() {
    return List.of("/admin/studio", "/admin/templates", "/admin/apps/shop/builder/checkpoints/" + head + "/file?path=index.html");
  }

  private Response send(String method, String path, String body, String contentType, Map<String, String> headers)
      throws IOException {
    Request.Builder b = new Request.Builder().url(studio.url().resolve(path).toString());
    headers.forEach(b::header);
    RequestBody requestBody = body == null ? (method.equals("GET") ? null : RequestBody.create(new byte[0], null))
        : RequestBody.create(body, MediaType.get(contentType));
    return http.newCall(b.method(method, requestBody).build()).execute();
  }

  private void assertNothingChanged() {
    assertThat(studio.chatBuilder().checkpointStore().apps()).containsExactly("shop");
    assertThat(studio.chatBuilder().head("shop").orElseThrow().id()).isEqualTo(head);
    assertThat(studio.chatBuilder().runIds("shop", 10)).isEmpty();
    assertThat(studio.chatBuilder().labelled("shop")).isEmpty();
    assertThat(studio.chatBuilder().draftStatus("shop").state().name()).isEqualTo("STOPPED");
    assertThat(studio.chatBuilder().publishes("shop", 10)).isEmpty();
  }

  @Test
  void aForeignOriginGets403OnEveryStateChangingEndpointAndChangesNothing() throws Exception {
    for (String[] e : stateChanging()) {
      try (Response r = send(e[0], e[1], e[2], "application/json", Map.of("Origin", EVIL))) {
        assertThat(r.code()).as(e[0] + " " + e[1]).isEqualTo(403);
        JsonNode body = HttpTestClient.JSON.readTree(r.body().string());
        assertThat(body.path("code").asText()).as(e[1]).isEqualTo("unauthorized");
        assertThat(body.path("message").asText()).as(e[1]).contains("origin");
      }
      // Without Origin, Fetch Metadata still tells a cross-site request.
      try (Response r = send(e[0], e[1], e[2], "application/json", Map.of("Sec-Fetch-Site", "cross-site"))) {
        assertThat(r.code()).as(e[0] + " " + e[1]).isEqualTo(403);
      }
    }
    assertNothingChanged();
    // The studio's own origin is allowed: the same request then works.
    try (Response r = send("POST", "/admin/apps/shop/builder/checkpoints/" + head + "/labels", "{\"label\":\"v1\"}",
        "application/json", Map.of("Origin", studio.url().toString().replaceFirst("/$", "")))) {
      assertThat(r.code()).isEqualTo(200);
    }
    try (Response r = send("DELETE", "/admin/apps/shop/builder/checkpoints/" + head + "/labels?label=v1", null, null, Map.of())) {
      assertThat(r.code()).isEqualTo(200);
    }
  }

  @Test
  void aForeignHostIsRefusedOnTheApiAndTheStudioOnlyEndpoints() throws Exception {
    for (String path : studioOnly()) {
      try (Response ok = send("GET", path, null, null, Map.of())) {
        assertThat(ok.code()).as(path).isEqualTo(200);
        assertThat(ok.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(ok.header("Content-Security-Policy")).contains("default-src 'none'");
      }
    }
    List<String> reads = new java.util.ArrayList<>(studioOnly());
    reads.add("/admin/apps");
    reads.add("/admin/apps/shop/builder/checkpoints");
    for (String path : reads) {
      try (Response r = send("GET", path, null, null, Map.of("Host", "rebound.evil.example:" + studio.port()))) {
        assertThat(r.code()).as(path).isEqualTo(403);
        assertThat(r.body().string()).contains("host 'rebound.evil.example:" + studio.port() + "' is not allowed")
            .doesNotContain("static-vanilla").doesNotContain("\"model\"");
      }
    }
    for (String[] e : stateChanging()) {
      try (Response r = send(e[0], e[1], e[2], "application/json", Map.of("Host", "rebound.evil.example"))) {
        assertThat(r.code()).as(e[1]).isEqualTo(403);
      }
    }
    assertNothingChanged();
  }

  @Test
  void textPlainAndFormPostsAreRefusedWith415() throws Exception {
    for (String[] e : stateChanging()) {
      if (!e[0].equals("POST")) {
        continue;
      }
      for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")) {
        try (Response r = send("POST", e[1], e[2], type, Map.of())) {
          assertThat(r.code()).as(type + " " + e[1]).isEqualTo(415);
          assertThat(HttpTestClient.JSON.readTree(r.body().string()).path("code").asText()).isEqualTo("unsupported_media_type");
        }
      }
    }
    assertNothingChanged();
  }

  @Test
  void studioOnlyEndpointsAnswerErrorsWithTheApiShape() throws Exception {
    for (String[] call : List.of(
        new String[] {"/admin/apps/nope/builder/checkpoints/" + head + "/file?path=index.html", "404", "not_found"},
        new String[] {"/admin/apps/shop/builder/checkpoints/" + head + "/file", "400", "invalid_argument"},
        new String[] {"/admin/apps/shop/builder/checkpoints/" + head + "/file?path=..%2F..%2Fetc%2Fpasswd", "400", "path_refused"})) {
      HttpTestClient.Reply reply = client.call("GET", call[0]);
      assertThat(reply.status()).as(reply.text()).isEqualTo(Integer.parseInt(call[1]));
      assertThat(reply.json().get("code").asText()).isEqualTo(call[2]);
    }
    HttpTestClient.Reply post = client.call("POST", "/admin/studio", "{}");
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.json().get("code").asText()).isEqualTo("method_not_allowed");
    assertThat(post.headers().get("Allow")).contains("GET");
  }
}
