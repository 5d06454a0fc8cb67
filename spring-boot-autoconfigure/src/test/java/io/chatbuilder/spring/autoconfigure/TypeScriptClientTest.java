package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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
  private static final long STEP_TIMEOUT_MINUTES = 5;

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
    Path client = clientDirectory();
    Path log = Path.of("target", "typescript-client-test.log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    Files.deleteIfExists(log);
    requireNode(log);

    if (!Files.exists(client.resolve("node_modules/typescript/package.json"))
        || !Files.exists(client.resolve("node_modules/@types/node/package.json"))) {
      run(client, log, List.of(npm(), "ci", "--no-audit", "--no-fund", "--ignore-scripts"), null);
    }
    deleteTree(client.resolve("dist")); // no stale compiled tests
    run(client, log, List.of("node", "node_modules/typescript/bin/tsc", "-p", "."), null);
    String url = "http://127.0.0.1:" + port + "/admin";
    List<String> test = new ArrayList<>(List.of("node", "--test", "--test-reporter=spec"));
    try (Stream<Path> files = Files.list(client.resolve("dist/test"))) {
      files.map(f -> "dist/test/" + f.getFileName()).filter(f -> f.endsWith(".test.js")).sorted().forEach(test::add);
    }
    assertThat(test).as("compiled test files").hasSizeGreaterThan(3);
    String output = run(client, log, test, url);
    // node --test exits non-zero on any failure (checked in run); make sure tests ran at all.
    assertThat(output).as("node --test output").containsPattern("(?m)^. pass [1-9]").containsPattern("(?m)^. fail 0$")
        .containsPattern("(?m)^. cancelled 0$");
  }

  private static Path clientDirectory() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("clients/typescript");
      if (Files.exists(candidate.resolve("package.json"))) {
        return candidate;
      }
    }
    throw new AssertionError("clients/typescript not found above " + Path.of("").toAbsolutePath());
  }

  private static String npm() {
    return System.getProperty("os.name").startsWith("Windows") ? "npm.cmd" : "npm";
  }

  private static void requireNode(Path log) throws Exception {
    try {
      String version = run(Path.of("").toAbsolutePath(), log, List.of("node", "--version"), null).strip();
      assertThat(Integer.parseInt(version.replaceAll("^v(\\d+).*", "$1"))).as("Node " + version).isGreaterThanOrEqualTo(20);
    } catch (IOException e) {
      String message = "Node.js 20+ is needed for the TypeScript client's tests: " + e.getMessage();
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(message, e);
      }
      Assumptions.abort(message);
    }
  }

  /** Runs a command, its output appended to the log; fails with that output when it exits non-zero. */
  private static String run(Path dir, Path log, List<String> command, String url) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true);
    File out = Files.createTempFile("chatbuilder-ts", ".log").toFile();
    pb.redirectOutput(out);
    if (url != null) {
      pb.environment().put("CHATBUILDER_URL", url);
    }
    pb.environment().put("NO_COLOR", "1");
    Process p = pb.start();
    if (!p.waitFor(STEP_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " ran longer than " + STEP_TIMEOUT_MINUTES + " minutes:\n"
          + Files.readString(out.toPath()));
    }
    String output = Files.readString(out.toPath());
    Files.writeString(log, "$ " + String.join(" ", command) + "\n" + output + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    Files.delete(out.toPath());
    assertThat(p.exitValue()).as(String.join(" ", command) + " in " + dir + ":\n" + output).isZero();
    return output;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
