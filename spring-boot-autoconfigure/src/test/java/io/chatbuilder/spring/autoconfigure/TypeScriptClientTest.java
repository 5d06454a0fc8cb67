package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.testkit.NodeProject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * The TypeScript client ({@code clients/typescript}) against this module's real HTTP API: builds it
 * with its pinned TypeScript (dev dependencies from the committed lockfile, {@code npm ci} when they
 * are missing) and runs its {@code node --test} suite with this server's URL, so the Maven build
 * fails when the client's tests fail. Under {@code CI=true} a missing Node fails instead of skipping.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.address=127.0.0.1",
    "chatbuilder.sandbox.isolation=unisolated"})
class TypeScriptClientTest {
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    ModelClient model() {
      return Fixtures.writingModel(3);
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

  @DynamicPropertySource
  static void directories(DynamicPropertyRegistry registry) throws IOException {
    Path dir = Files.createTempDirectory("chatbuilder-ts-test");
    registry.add("chatbuilder.sandbox.base-directory", () -> dir.resolve("apps").toString());
  }

  @LocalServerPort
  int port;

  @Autowired
  ChatBuilder chatBuilder;

  @AfterEach
  void waitForRuns() throws Exception {
    for (String app : chatBuilder.checkpointStore().apps()) {
      RunHandle run = chatBuilder.activeRun(app).orElse(null);
      if (run != null) {
        run.completion().get(60, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theClientsNodeTestsPassAgainstThisServer() throws Exception {
    NodeProject client = NodeProject.prepare("clients/typescript", Path.of("target", "typescript-client-test.log"),
        "for the TypeScript client's tests", "node_modules/typescript/package.json", "node_modules/@types/node/package.json");
    NodeProject.deleteTree(client.directory().resolve("dist")); // no stale compiled tests
    client.runOrFail(List.of("node", "node_modules/typescript/bin/tsc", "-p", "."), Map.of());
    String url = "http://127.0.0.1:" + port + "/admin";
    List<String> test = new ArrayList<>(List.of("node", "--test", "--test-reporter=spec"));
    try (Stream<Path> files = Files.list(client.directory().resolve("dist/test"))) {
      files.map(f -> "dist/test/" + f.getFileName()).filter(f -> f.endsWith(".test.js")).sorted().forEach(test::add);
    }
    assertThat(test).as("compiled test files").hasSizeGreaterThan(3);
    String output = client.runOrFail(test, Map.of("CHATBUILDER_URL", url));
    // node --test exits non-zero on any failure (checked by runOrFail); make sure tests ran at all.
    assertThat(output).as("node --test output").containsPattern("(?m)^. pass [1-9]").containsPattern("(?m)^. fail 0$")
        .containsPattern("(?m)^. cancelled 0$");
  }
}
