package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CommandDeniedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Commands through the protocol: streaming, exit, errors, cancellation, re-attach, policy on the server. */
class RemoteProcessTest {
  private static final MediaType JSON = MediaType.get("application/json");

  private final FakeCommands commands = new FakeCommands();
  private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build();
  private SandboxRegistry registry;
  private SandboxServer server;
  private RemoteSandbox sandbox;
  private String token;

  @BeforeEach
  void start() {
    registry = new SandboxRegistry();
    token = SandboxRegistry.newToken();
    registry.register(commands.install(InMemorySandbox.builder("app")).build(), token);
    server = SandboxServer.builder(registry).start();
    sandbox = RemoteSandbox.builder(server.url(), "app", token).build();
  }

  @AfterEach
  void stop() {
    commands.gate.countDown();
    sandbox.close();
    server.close();
  }

  @Test
  void outputStreamsToTheListenerInOrderAndTheResultComesBack() {
    Recorder recorder = new Recorder();
    CommandResult result = sandbox.run(CommandRequest.of("node", "print", "5"), recorder, new Cancellation());
    assertThat(recorder.stdout).containsExactly("line 1\n", "line 2\n", "line 3\n", "line 4\n", "line 5\n");
    assertThat(recorder.stderr).containsExactly("done\n");
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).isEqualTo("line 1\nline 2\nline 3\nline 4\nline 5\n");
    assertThat(result.succeeded()).isTrue();
  }

  @Test
  void nonZeroExitIsAResultNotAnError() {
    CommandResult result = sandbox.run(CommandRequest.of("node", "print", "13"), CommandListener.NONE, new Cancellation());
    assertThat(result.exitCode()).isEqualTo(13);
    assertThat(result.succeeded()).isFalse();
  }

  @Test
  void aFailureInsideTheSandboxArrivesAsTheSameExceptionType() {
    // npx is allowed by the policy but the in-memory sandbox has no handler: it throws SandboxException.
    assertThatThrownBy(() -> sandbox.run(CommandRequest.of("npx", "vite"), CommandListener.NONE, new Cancellation()))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("no handler for 'npx'");
  }

  @Test
  void cancellationSignalsTheServerWhichCancelsTheCommand() throws Exception {
    Cancellation cancellation = new Cancellation();
    Recorder recorder = new Recorder();
    CompletableFuture<CommandResult> running = CompletableFuture.supplyAsync(
        () -> sandbox.run(CommandRequest.of("npm", "hang"), recorder, cancellation));
    assertThat(commands.hanging.await(30, TimeUnit.SECONDS)).isTrue();
    cancellation.cancel();
    CommandResult result = running.get(30, TimeUnit.SECONDS);
    assertThat(result.cancelled()).isTrue();
    assertThat(result.timedOut()).isFalse();
    assertThat(recorder.stdout).containsExactly("waiting\n");
  }

  @Test
  void deniedCommandsAreRefusedWhenStartedWithoutCreatingAProcess() throws IOException {
    assertThatThrownBy(() -> sandbox.run(CommandRequest.of("bash", "-c", "id"), CommandListener.NONE, new Cancellation()))
        .isInstanceOf(CommandDeniedException.class)
        .hasMessageContaining("'bash' is denied");
    assertThat(get("/processes").path("processes")).isEmpty();
  }

  @Test
  void aClientCannotWidenThePolicy() throws IOException {
    // Fields a client might hope the server honours are ignored: the server's own policy decides.
    String body = "{\"argv\":[\"bash\",\"-c\",\"id\"],\"policy\":{\"allow_shell\":true,\"allowed_programs\":[\"bash\"]},"
        + "\"allow_shell\":true}";
    try (Response response = http.newCall(request("/processes").post(RequestBody.create(body, JSON)).build()).execute()) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.body().string()).contains("\"code\":\"command_denied\"");
    }
    assertThat(sandbox.policy().allowShell()).isFalse();
  }

  @Test
  void policyIsReportedFromTheServer() {
    registry.register(InMemorySandbox.builder("custom")
        .policy(CommandPolicy.builder().allow("git").maxTimeout(Duration.ofMinutes(3)).defaultTimeout(Duration.ofSeconds(30)).build())
        .build(), token + "-custom");
    try (RemoteSandbox custom = RemoteSandbox.builder(server.url(), "custom", token + "-custom").build()) {
      CommandPolicy policy = custom.policy();
      assertThat(policy.allowedPrograms()).contains("git", "npm", "node");
      assertThat(policy.maxTimeout()).isEqualTo(Duration.ofMinutes(3));
      assertThat(policy.defaultTimeout()).isEqualTo(Duration.ofSeconds(30));
      assertThat(policy.deniedPrograms()).contains("bash", "curl");
    }
  }

  @Test
  void theEventStreamReplaysFromLastEventIdWithoutGapsOrRepeats() throws IOException {
    JsonNode started = post("/processes", "{\"argv\":[\"node\",\"print\",\"6\"]}");
    String pid = started.path("id").asText();
    String all = stream(pid, null);
    // start, six stdout lines, one stderr line, exit
    assertThat(all).contains("id: 1\nevent: start\n", "id: 8\nevent: stderr\n", "id: 9\nevent: exit\n");
    String fromFour = stream(pid, "4");
    assertThat(fromFour).startsWith("id: 5\nevent: stdout\ndata: {\"text\":\"line 4\\n\"}\n\n");
    String output = fromFour.substring(0, fromFour.indexOf("event: exit"));
    assertThat(output).doesNotContain("line 3").contains("line 6");
    assertThat(fromFour).contains("id: 9\nevent: exit\n");
    assertThat(stream(pid, "9")).as("a reader that has everything gets an empty, closed stream").isEmpty();
    assertThat(get("/processes/" + pid).path("state").asText()).isEqualTo("exited");
    assertThat(get("/processes/" + pid).path("result").path("exit_code").asInt()).isZero();
    assertThat(get("/processes").path("processes")).hasSize(1);
  }

  @Test
  void aReaderResumingBeforeTheBufferedWindowIsToldWhatWasDropped() throws Exception {
    String pid = post("/processes", "{\"argv\":[\"node\",\"flood\"]}").path("id").asText();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!get("/processes/" + pid).path("state").asText().equals("exited") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    String replay = stream(pid, "1");
    assertThat(replay).startsWith("event: gap\ndata: {\"from\":2,\"to\":");
    long firstKept = Long.parseLong(replay.substring(replay.indexOf("\nid: ") + 5, replay.indexOf("\nevent: stdout")));
    assertThat(replay).contains("\"to\":" + (firstKept - 1) + "}");
    assertThat(replay.length()).as("no more than the 8 MiB window is kept").isLessThan(8 * 1024 * 1024 + 64 * 1024);
    assertThat(replay).contains("id: 146\nevent: exit\n");
  }

  @Test
  void stdinIsNotSupportedAndSaysSo() throws IOException {
    String pid = post("/processes", "{\"argv\":[\"node\",\"print\",\"1\"]}").path("id").asText();
    try (Response response = http.newCall(request("/processes/" + pid + "/stdin")
        .post(RequestBody.create("hello\n", MediaType.get("text/plain"))).build()).execute()) {
      assertThat(response.code()).isEqualTo(501);
      assertThat(response.body().string()).contains("stdin is not supported");
    }
  }

  @Test
  void unknownProcessesAndMalformedStartsGetClearErrors() throws IOException {
    try (Response response = http.newCall(request("/processes/p999/events").build()).execute()) {
      assertThat(response.code()).isEqualTo(404);
      assertThat(response.body().string()).contains("no process 'p999'");
    }
    for (String bad : List.of("{\"argv\":[]}", "{\"argv\":\"npm\"}", "not json", "{\"argv\":[\"npm\"],\"timeout_ms\":\"soon\"}")) {
      try (Response response = http.newCall(request("/processes").post(RequestBody.create(bad, JSON)).build()).execute()) {
        assertThat(response.code()).as(bad).isEqualTo(400);
        assertThat(response.body().string()).as(bad).contains("\"code\":\"invalid_argument\"");
      }
    }
  }

  @Test
  void workingDirectoryAndEnvironmentTravel() {
    CommandRequest request = new CommandRequest(List.of("node", "print", "1"), "src", Map.of("VITE_X", "1"),
        Optional.of(Duration.ofSeconds(5)));
    assertThat(Wire.command(Wire.command(request))).isEqualTo(request);
  }

  private String stream(String pid, String lastEventId) throws IOException {
    Request.Builder b = request("/processes/" + pid + "/events");
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    try (Response response = http.newCall(b.build()).execute()) {
      assertThat(response.header("Content-Type")).startsWith("text/event-stream");
      return response.body().string();
    }
  }

  private Request.Builder request(String route) {
    return new Request.Builder().url(server.url() + "/v1/sandboxes/app" + route).header("Authorization", "Bearer " + token);
  }

  private JsonNode get(String route) throws IOException {
    try (Response response = http.newCall(request(route).build()).execute()) {
      return Wire.readTree(response.body().bytes());
    }
  }

  private JsonNode post(String route, String json) throws IOException {
    try (Response response = http.newCall(request(route).post(RequestBody.create(json, JSON)).build()).execute()) {
      assertThat(response.code()).isEqualTo(201);
      return Wire.readTree(response.body().bytes());
    }
  }

  static final class Recorder implements CommandListener {
    final List<String> stdout = new CopyOnWriteArrayList<>();
    final List<String> stderr = new CopyOnWriteArrayList<>();

    @Override
    public void onStdout(String chunk) {
      stdout.add(chunk);
    }

    @Override
    public void onStderr(String chunk) {
      stderr.add(chunk);
    }
  }
}
