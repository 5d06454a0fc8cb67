package io.chatbuilder.tools.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.tool.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent calls the tools of a real MCP server over stdio: a separate JVM running {@link TestMcpServer}. */
class McpToolSourceStdioTest {
  static McpToolSource.StdioBuilder server(String mode) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return McpToolSource.stdio("test").command(java)
        .args("-cp", System.getProperty("java.class.path"), TestMcpServer.class.getName(), mode)
        .initTimeout(Duration.ofSeconds(30));
  }

  @Test
  void theAgentCallsAStdioToolEndToEnd(@TempDir Path dir) throws Exception {
    try (McpToolSource source = server("normal").workingDirectory(dir).env("MCP_TEST_VAR", "from-host-config").connect()) {
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"test__add", "{\"a\":2,\"b\":3}"},
          new String[] {"test__echo", "{\"text\":\"hi\"}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(run.events(Event.ToolCompleted.class)).extracting(Event.ToolCompleted::toolName)
          .containsExactly("test__add", "test__echo");
      assertThat(run.toolResults().get(0).content()).isEqualTo("5");
      assertThat(run.toolResults().get(0).error()).isFalse();
      String echo = run.toolResults().get(1).content();
      assertThat(echo).startsWith("hi | cwd=" + dir.toRealPath()).contains("MCP_TEST_VAR=from-host-config");
      // The server sees only the SDK's short list of inherited variables and its own, not the host's environment.
      Set<String> env = new TreeSet<>(List.of(echo.substring(echo.indexOf("env=[") + 5, echo.length() - 1).split(", ")));
      assertThat(env).isSubsetOf("PATH", "HOME", "USER", "SHELL", "TERM", "LOGNAME", "MCP_TEST_VAR");
      // The model was offered the tools with the server's schemas.
      assertThat(run.requests().get(0).tools()).anySatisfy(d -> {
        assertThat(d.name()).isEqualTo("test__add");
        assertThat(d.parameters().path("required").toString()).contains("a", "b");
        assertThat(d.description()).contains("Adds two numbers.", "MCP server 'test'");
      });
    }
  }

  @Test
  void aHangingToolTimesOutAndTheRunGoesOn() {
    try (McpToolSource source = server("normal").callTimeout(Duration.ofSeconds(1)).connect()) {
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"test__hang", "{}"}, new String[] {"test__add", "{\"a\":1,\"b\":1}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(run.events(Event.ToolFailed.class)).singleElement().satisfies(f -> {
        assertThat(f.toolName()).isEqualTo("test__hang");
        assertThat(f.error()).contains("timed out after 1s", "MCP server 'test'", "cancelled");
        assertThat(f.errorCode()).isEqualTo(ErrorCode.TIMEOUT.wireName());
      });
      assertThat(run.toolResults().get(0).error()).isTrue();
      assertThat(run.toolResults().get(1).content()).isEqualTo("2");
    }
  }

  @Test
  void aServerThatCrashesMidCallIsAToolErrorAndTheNextCallRestartsIt() {
    try (McpToolSource source = server("normal").callTimeout(Duration.ofSeconds(20)).connect()) {
      Agent.Outcome first = Agent.run(source.tools(), new String[] {"test__pid", "{}"});
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"test__crash", "{}"}, new String[] {"test__pid", "{}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(run.events(Event.ToolFailed.class)).singleElement().satisfies(f -> {
        assertThat(f.toolName()).isEqualTo("test__crash");
        assertThat(f.error()).contains("MCP server 'test'").doesNotContain("timed out");
      });
      assertThat(run.toolResults().get(1).error()).isFalse();
      assertThat(run.toolResults().get(1).content()).as("a new server process answered")
          .isNotEqualTo(first.toolResults().get(0).content());
    }
  }

  @Test
  void cancellingTheRunEndsAHangingCallAtOnce() throws Exception {
    try (McpToolSource source = server("normal").callTimeout(Duration.ofMinutes(5)).connect()) {
      ScriptedModel model = ScriptedModel.builder()
          .turn(t -> t.toolCall("test__hang", "{}")).turn(t -> t.text("Done.")).build();
      ChatBuilder.Builder b = ChatBuilder.builder().model(model)
          .sandboxes(appId -> InMemorySandbox.builder(appId).build());
      source.tools().forEach(b::tool);
      try (ChatBuilder chatBuilder = b.build()) {
        CountDownLatch started = new CountDownLatch(1);
        RunHandle run = chatBuilder.chat("mcp-app", "hang");
        run.subscribe(0, e -> {
          if (e instanceof Event.ToolStarted) {
            started.countDown();
          }
        });
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        long start = System.nanoTime();
        run.cancel();
        RunResult result = run.completion().get(30, TimeUnit.SECONDS);
        assertThat(result.outcome()).isEqualTo(RunOutcome.CANCELLED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
      }
      // The connection survives a cancelled call.
      assertThat(Agent.run(source.tools(), new String[] {"test__add", "{\"a\":2,\"b\":2}"}).toolResults().get(0).content())
          .isEqualTo("4");
    }
  }

  @Test
  void aServerThatNeverAnswersInitializeFailsAtConnect() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> server("silent").initTimeout(Duration.ofSeconds(2)).connect())
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("MCP server 'test'").hasMessageContaining("did not answer initialize within 2s");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aCommandThatDoesNotExistFailsAtConnect() {
    assertThatThrownBy(() -> McpToolSource.stdio("nope").command("/nonexistent/mcp-server").connect())
        .hasMessageContaining("MCP server 'nope'").hasMessageContaining("could not start");
  }

  @Test
  void hostileToolsAreRenamedSkippedCappedAndTheirErrorsReachTheModel() {
    try (McpToolSource source = server("normal").connect()) {
      List<String> names = source.tools().stream().map(t -> t.definition().name()).toList();
      assertThat(names).allMatch(n -> n.matches("^[a-zA-Z0-9_-]{1,64}$"));
      assertThat(names).contains("test__add", "test__hang", "test__fail", "test__huge")
          .anyMatch(n -> n.matches("test__bad_name___n__[0-9a-f]{8}"))
          .noneMatch(n -> n.contains("badschema"));
      assertThat(source.skipped()).singleElement().asString().contains("badschema", "not \"object\"");

      String badName = names.stream().filter(n -> n.startsWith("test__bad_name")).findFirst().orElseThrow();
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"test__huge", "{}"}, new String[] {"test__fail", "{}"},
          new String[] {badName, "{}"}, new String[] {"test__picture", "{}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      String huge = run.toolResults().get(0).content();
      assertThat(huge.length()).isLessThan(McpToolSource.DEFAULT_MAX_RESULT_CHARS + 200);
      assertThat(huge).startsWith("xxxx").contains("(cut: the result is longer than 100000 characters");
      assertThat(run.toolResults().get(1).error()).isTrue();
      assertThat(run.toolResults().get(1).content()).contains("reported an error: the database is read-only");
      assertThat(run.toolResults().get(2).content()).isEqualTo("bad-named tool ran");
      assertThat(run.toolResults().get(3).content()).startsWith("a red dot:\n[image image/png, ").endsWith("bytes: not shown]");
    }
  }

  @Test
  void closingStopsTheServerProcess() throws Exception {
    McpToolSource source = server("normal").connect();
    Tool pid = source.tools().stream().filter(t -> t.definition().name().equals("test__pid")).findFirst().orElseThrow();
    long serverPid = Long.parseLong(Agent.run(List.of(pid), new String[] {"test__pid", "{}"}).toolResults().get(0).content());
    source.close();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ProcessHandle.of(serverPid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(ProcessHandle.of(serverPid).map(ProcessHandle::isAlive).orElse(false)).as("server process alive").isFalse();
    assertThat(Files.exists(Path.of("."))).isTrue();
  }
}
