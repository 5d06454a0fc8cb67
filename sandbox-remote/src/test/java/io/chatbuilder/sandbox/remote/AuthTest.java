package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.io.IOException;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every endpoint needs the bearer token of the sandbox it addresses, and only that one. */
class AuthTest {
  private static final List<String[]> ENDPOINTS = List.of(
      new String[] {"GET", "health"}, new String[] {"GET", "policy"}, new String[] {"GET", "files?dir="},
      new String[] {"GET", "files/all"}, new String[] {"GET", "files/content?path=secret.txt"},
      new String[] {"GET", "files/stat?path=secret.txt"}, new String[] {"PUT", "files/content?path=x.txt"},
      new String[] {"DELETE", "files?path=secret.txt"}, new String[] {"POST", "files/move"},
      new String[] {"POST", "files/apply"}, new String[] {"POST", "files/snapshot"}, new String[] {"POST", "search"},
      new String[] {"POST", "changes/scan"}, new String[] {"POST", "changes/acknowledge"},
      new String[] {"GET", "processes"}, new String[] {"POST", "processes"}, new String[] {"GET", "processes/p1"},
      new String[] {"GET", "processes/p1/events"}, new String[] {"POST", "processes/p1/signal"},
      new String[] {"POST", "processes/p1/stdin"});

  private final OkHttpClient http = new OkHttpClient();
  private final String tokenA = SandboxRegistry.newToken();
  private final String tokenB = SandboxRegistry.newToken();
  private SandboxRegistry registry;
  private SandboxServer server;

  @BeforeEach
  void start() {
    registry = new SandboxRegistry();
    registry.register(InMemorySandbox.builder("a").file("secret.txt", "A's secret").build(), tokenA);
    registry.register(InMemorySandbox.builder("b").file("secret.txt", "B's secret").build(), tokenB);
    server = SandboxServer.builder(registry).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void noEndpointWorksWithoutAToken() throws IOException {
    for (String[] endpoint : ENDPOINTS) {
      try (Response r = call(endpoint[0], "a", endpoint[1], null)) {
        assertThat(r.code()).as(endpoint[0] + " " + endpoint[1]).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(r.body().string()).contains("\"code\":\"unauthenticated\"", "missing bearer token");
      }
    }
  }

  @Test
  void aTokenOfAnotherSandboxIsRefusedEverywhere() throws IOException {
    for (String[] endpoint : ENDPOINTS) {
      try (Response r = call(endpoint[0], "b", endpoint[1], "Bearer " + tokenA)) {
        assertThat(r.code()).as(endpoint[0] + " " + endpoint[1]).isEqualTo(403);
        String body = r.body().string();
        assertThat(body).contains("\"code\":\"unauthorized\"").doesNotContain("secret");
      }
    }
    assertThat(registry.authorize("b", tokenB)).isPresent();
    try (Response r = call("GET", "b", "files/content?path=secret.txt", "Bearer " + tokenB)) {
      assertThat(r.body().string()).isEqualTo("B's secret");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer-wrong"})
  void malformedAuthorizationHeadersAreUnauthenticated(String header) throws IOException {
    // No usable credentials: 401 with "unauthenticated" (a wrong token for a sandbox is 403, above).
    try (Response r = call("GET", "a", "health", header)) {
      assertThat(r.code()).isEqualTo(401);
      assertThat(r.body().string()).contains("\"code\":\"unauthenticated\"");
    }
  }

  @Test
  void nearMissesOfTheTokenAreRefused() throws IOException {
    String lastCharChanged = tokenA.substring(0, tokenA.length() - 1) + (tokenA.endsWith("A") ? "B" : "A");
    for (String wrong : List.of(lastCharChanged, tokenA.substring(1), tokenA + "x", tokenA.toUpperCase(), " " + tokenB + "x")) {
      try (Response r = call("GET", "a", "health", "Bearer " + wrong)) {
        assertThat(r.code()).as(wrong).isEqualTo(403);
      }
      assertThat(registry.authorize("a", wrong)).isEmpty();
    }
    // Unknown sandboxes answer exactly like a wrong token, so ids cannot be probed.
    try (Response r = call("GET", "nope", "health", "Bearer " + tokenA)) {
      assertThat(r.code()).isEqualTo(403);
    }
    try (Response r = call("GET", "a", "health", "bearer " + tokenA)) {
      assertThat(r.code()).as("the scheme is case-insensitive").isEqualTo(200);
    }
  }

  @Test
  void theClientSurfacesAuthFailuresAsUnauthorized() {
    try (RemoteSandbox wrong = RemoteSandbox.builder(server.url(), "b", tokenA).build()) {
      assertThatThrownBy(wrong::checkHealth)
          .isInstanceOfSatisfying(ChatBuilderException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED))
          .hasMessageContaining("not valid for sandbox b");
      assertThatThrownBy(() -> wrong.read("secret.txt")).isInstanceOf(ChatBuilderException.class)
          .hasMessageNotContaining("B's secret");
    }
    try (RemoteSandbox right = RemoteSandbox.builder(server.url(), "a", tokenA).build()) {
      right.checkHealth();
      assertThat(right.read("secret.txt").text()).contains("A's secret");
    }
  }

  @Test
  void weakTokensAndDuplicateIdsAreRefused() {
    assertThatThrownBy(() -> registry.register(InMemorySandbox.builder("c").build(), "short"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("at least 16");
    assertThatThrownBy(() -> registry.register(InMemorySandbox.builder("a").build(), SandboxRegistry.newToken()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("already registered");
    assertThat(registry.remove("b")).isPresent();
    assertThat(registry.authorize("b", tokenB)).isEmpty();
  }

  private Response call(String method, String id, String route, String authorization) throws IOException {
    Request.Builder b = new Request.Builder().url(server.url() + "/v1/sandboxes/" + id + "/" + route);
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    RequestBody body = method.equals("GET") ? null : RequestBody.create("{}", MediaType.get("application/json"));
    return http.newCall(b.method(method, body).build()).execute();
  }
}
