package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A studio listening beyond loopback: every API request needs the access token (one studio for the class). */
class StudioAccessTokenTest {
  private static final String TOKEN = "test-token-0123456789abcdef";
  @TempDir static Path data;
  private static Studio studio;
  private static HttpTestClient client;

  @BeforeAll
  static void start() {
    studio = Studio.builder(data).host("0.0.0.0").port(0).accessToken(TOKEN).model(new DemoModel(Duration.ZERO)).start();
    client = new HttpTestClient(URI.create("http://localhost:" + studio.port() + "/"));
  }

  @AfterAll
  static void stop() {
    if (studio != null) {
      studio.close();
    }
  }

  @Test
  void apiRequestsNeedTheTokenBeyondLoopback() {
    HttpTestClient.Reply without = client.call("GET", "/admin/apps");
    assertThat(without.status()).isEqualTo(401);
    assertThat(without.json().get("code").asText()).isEqualTo("unauthenticated");
    assertThat(client.call("GET", "/admin/studio").status()).isEqualTo(401);
    assertThat(client.call("POST", "/admin/apps", "{\"app_id\":\"shop\"}").status()).isEqualTo(401);
    assertThat(client.call("GET", "/admin/apps", null, Map.of("Authorization", "Bearer wrong-token-0123456789")).status())
        .isEqualTo(401);
    assertThat(studio.chatBuilder().checkpointStore().apps()).isEmpty();

    Map<String, String> bearer = Map.of("Authorization", "Bearer " + TOKEN);
    assertThat(client.call("POST", "/admin/apps", "{\"app_id\":\"shop\"}", bearer).status()).isEqualTo(201);
    assertThat(client.call("GET", "/admin/apps", null, bearer).json().at("/apps/0/app_id").asText()).isEqualTo("shop");
    assertThat(client.call("GET", "/admin/studio?token=" + TOKEN).status()).isEqualTo(200);
    // The page itself is static: it loads, and then sends the token it was opened with.
    assertThat(client.call("GET", "/").text()).contains("ChatBuilder studio");
  }
}
