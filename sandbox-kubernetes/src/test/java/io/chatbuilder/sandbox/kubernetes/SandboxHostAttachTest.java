package io.chatbuilder.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.sandbox.remote.RemoteSandbox;
import io.chatbuilder.sandbox.remote.SandboxRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sandbox pod's handover endpoint against hostile and malformed requests. */
class SandboxHostAttachTest {
  private static final String BOOT = SandboxRegistry.newToken();
  private final AtomicInteger opened = new AtomicInteger();
  private final SandboxHost host = SandboxHost.builder(id -> {
    opened.incrementAndGet();
    return InMemorySandbox.builder(id).build();
  }, BOOT).start();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() {
    host.close();
  }

  @Test
  void onlyTheBootstrapTokenMayHandOverAndOnlyOnce() throws Exception {
    String token = SandboxRegistry.newToken();
    String body = "{\"sandbox_id\":\"shop\",\"token\":\"" + token + "\"}";
    assertThat(post(null, body)).startsWith("401 ").contains("\"code\":\"unauthorized\"");
    assertThat(post("Bearer " + BOOT.substring(1), body)).startsWith("403 ");
    assertThat(post("Bearer " + BOOT + "x", body)).startsWith("403 ");
    assertThat(post("Basic " + BOOT, body)).startsWith("401 ");
    assertThat(opened).hasValue(0);

    assertThat(post("Bearer " + BOOT, body)).startsWith("200 ").contains("\"created\":true");
    assertThat(post("Bearer " + BOOT, body)).startsWith("200 ").contains("\"created\":false"); // a retry
    assertThat(opened).hasValue(1);
    // Another app, or the same app with another token, cannot take the pod over.
    assertThat(post("Bearer " + BOOT, "{\"sandbox_id\":\"blog\",\"token\":\"" + SandboxRegistry.newToken() + "\"}"))
        .startsWith("409 ").contains("\"code\":\"conflict\"");
    assertThat(post("Bearer " + BOOT, "{\"sandbox_id\":\"shop\",\"token\":\"" + SandboxRegistry.newToken() + "\"}"))
        .startsWith("409 ");
    assertThat(host.attachedApp()).contains("shop");

    // The handed-over token works on the sandbox server; the bootstrap token does not.
    try (RemoteSandbox remote = RemoteSandbox.builder("http://127.0.0.1:" + host.serverPort(), "shop", token).build()) {
      remote.checkHealth();
    }
    try (RemoteSandbox bootstrap = RemoteSandbox.builder("http://127.0.0.1:" + host.serverPort(), "shop", BOOT).build()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(bootstrap::checkHealth)
          .isInstanceOf(io.chatbuilder.core.ChatBuilderException.class);
    }
  }

  @Test
  void malformedHandoversAreRefusedAndOpenNothing() throws Exception {
    String auth = "Bearer " + BOOT;
    assertThat(post(auth, "not json")).startsWith("400 ").contains("invalid_argument");
    assertThat(post(auth, "")).startsWith("400 ");
    assertThat(post(auth, "[]")).startsWith("400 ");
    assertThat(post(auth, "{\"sandbox_id\":\"shop\"}")).startsWith("400 ");
    assertThat(post(auth, "{\"sandbox_id\":\"\",\"token\":\"" + SandboxRegistry.newToken() + "\"}")).startsWith("400 ");
    assertThat(post(auth, "{\"sandbox_id\":\"shop\",\"token\":\"short\"}")).startsWith("400 ");
    assertThat(post(auth, "{\"sandbox_id\":7,\"token\":\"" + SandboxRegistry.newToken() + "\"}")).startsWith("400 ");
    assertThat(post(auth, "{\"sandbox_id\":\"" + "x".repeat(20_000) + "\",\"token\":\"t\"}")).startsWith("413 ");
    HttpResponse<String> get = http.send(HttpRequest.newBuilder(attachUri()).header("Authorization", auth).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(opened).hasValue(0);
    assertThat(host.attachedApp()).isEmpty();
  }

  private URI attachUri() {
    return URI.create("http://127.0.0.1:" + host.attachPort() + "/v1/attach");
  }

  private String post(String authorization, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(attachUri())
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }
}
