package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.model.ModelClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Listening beyond loopback without a Spring Security filter chain, every request needs the token. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=0.0.0.0",
    "chatbuilder.http.access-token=test-token-4711"})
class AccessTokenTest {
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    ModelClient model() {
      return Fixtures.writingModel(1);
    }

    @Bean
    AppAccessPolicy policy() {
      return AppAccessPolicy.allowAll();
    }
  }

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-token-test");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
  }

  @LocalServerPort
  int port;

  private final OkHttpClient http = new OkHttpClient();

  private int status(String query, String authorization) throws IOException {
    Request.Builder r = new Request.Builder().url("http://127.0.0.1:" + port + "/admin/apps" + query);
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    try (Response response = http.newCall(r.build()).execute()) {
      return response.code();
    }
  }

  @Test
  void theTokenIsRequiredAndAcceptedAsBearerOrQuery() throws Exception {
    assertThat(status("", null)).isEqualTo(401);
    assertThat(status("", "Bearer wrong")).isEqualTo(401);
    assertThat(status("?token=wrong", null)).isEqualTo(401);
    assertThat(status("", "Bearer test-token-4711")).isEqualTo(200);
    assertThat(status("?token=test-token-4711", null)).isEqualTo(200);
  }
}
