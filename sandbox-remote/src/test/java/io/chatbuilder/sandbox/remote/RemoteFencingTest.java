package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing through client and server: the client sends {@code Fencing-Token} on every mutating
 * request, the hosted sandbox keeps the highest, a stale one is answered 409 {@code lease_lost} and
 * thrown as {@link LeaseLostException}; two sandbox hosts serving one shared directory agree.
 */
class RemoteFencingTest {

  @Test
  void twoClientsOfOneServerAreFencedByTheHighestToken(@TempDir Path dir) {
    SandboxRegistry registry = new SandboxRegistry();
    String secret = SandboxRegistry.newToken();
    registry.register(LocalSandbox.builder(dir.resolve("app")).id("app").unisolated().build(), secret);
    try (SandboxServer server = SandboxServer.builder(registry).start();
        RemoteSandbox hostA = RemoteSandbox.builder(server.url(), "app", secret).build();
        RemoteSandbox hostB = RemoteSandbox.builder(server.url(), "app", secret).build()) {
      Sandbox a = hostA.fenced(5);
      a.write("src/a.txt", utf8("A"));
      a.write("src/old.txt", utf8("old"));
      Sandbox b = hostB.fenced(6);
      b.write("src/b.txt", utf8("B"));
      Map<String, Long> before = hostA.files();

      assertThatThrownBy(() -> a.write("src/a.txt", utf8("late"))).isInstanceOf(LeaseLostException.class)
          .hasMessageContaining("token 5");
      assertThatThrownBy(() -> a.delete("src/old.txt")).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> a.rename("src/old.txt", "src/new.txt")).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> a.apply(Map.of("src/a.txt", Optional.of(utf8("x"))))).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> a.run(new CommandRequest(List.of("npm", "run", "build"), "", Map.of(), Optional.empty()),
          CommandListener.NONE, new Cancellation())).isInstanceOf(LeaseLostException.class);
      assertThat(hostB.files()).isEqualTo(before);
      assertThat(hostB.read("src/a.txt").text()).contains("A");
      // Unfenced reads and the current holder go on.
      assertThat(a.read("src/b.txt").text()).contains("B");
      b.delete("src/old.txt");
      assertThat(hostA.files()).containsOnlyKeys("src/a.txt", "src/b.txt");
    }
  }

  @Test
  void twoSandboxHostsOnOneSharedDirectoryAgree(@TempDir Path dir) {
    Path shared = dir.resolve("app");
    SandboxRegistry one = new SandboxRegistry();
    SandboxRegistry two = new SandboxRegistry();
    String secret = SandboxRegistry.newToken();
    one.register(LocalSandbox.builder(shared).id("app").unisolated().build(), secret);
    two.register(LocalSandbox.builder(shared).id("app").unisolated().build(), secret);
    try (SandboxServer first = SandboxServer.builder(one).start();
        SandboxServer second = SandboxServer.builder(two).start();
        RemoteSandbox viaFirst = RemoteSandbox.builder(first.url(), "app", secret).build();
        RemoteSandbox viaSecond = RemoteSandbox.builder(second.url(), "app", secret).build()) {
      viaFirst.fenced(11).write("index.html", utf8("eleven"));
      viaSecond.fenced(12).write("index.html", utf8("twelve"));
      assertThatThrownBy(() -> viaFirst.fenced(11).write("index.html", utf8("late"))).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> viaSecond.fenced(11).delete("index.html")).isInstanceOf(LeaseLostException.class);
      assertThat(viaFirst.read("index.html").text()).contains("twelve");
    }
  }

  @Test
  void theWireFormatIsAHeaderAnd409LeaseLost(@TempDir Path dir) throws Exception {
    SandboxRegistry registry = new SandboxRegistry();
    String secret = SandboxRegistry.newToken();
    registry.register(LocalSandbox.builder(dir.resolve("app")).id("app").unisolated().build(), secret);
    OkHttpClient http = new OkHttpClient();
    try (SandboxServer server = SandboxServer.builder(registry).start()) {
      String url = server.url() + "/v1/sandboxes/app/files/content?path=a.txt";
      try (Response r = http.newCall(put(url, secret, "7", "seven")).execute()) {
        assertThat(r.code()).isEqualTo(201);
      }
      try (Response r = http.newCall(put(url, secret, "6", "six")).execute()) {
        assertThat(r.code()).isEqualTo(409);
        JsonNode body = Wire.readTree(r.body().bytes());
        assertThat(body.path("code").asText()).isEqualTo("lease_lost");
        assertThat(body.path("message").asText()).contains("token 6").contains("token 7");
      }
      for (String bad : List.of("abc", "0", "-3")) {
        try (Response r = http.newCall(put(url, secret, bad, "bad")).execute()) {
          assertThat(r.code()).as(bad).isEqualTo(400);
        }
      }
      try (Response r = http.newCall(put(url, secret, null, "unfenced")).execute()) {
        assertThat(r.code()).as("a request without the header is not fenced").isEqualTo(200);
      }
    } finally {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  private static Request put(String url, String secret, String token, String text) {
    Request.Builder b = new Request.Builder().url(url).header("Authorization", "Bearer " + secret)
        .put(RequestBody.create(utf8(text), MediaType.get("application/octet-stream")));
    if (token != null) {
      b.header("Fencing-Token", token);
    }
    return b.build();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
