package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.tools.mcp.McpToolSource;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Every condition and property of {@link ChatBuilderMcpClientAutoConfiguration}, against a real stdio MCP server. */
class ChatBuilderMcpClientAutoConfigurationTest {
  @TempDir
  Path dir;

  private final ScriptedModel model = ScriptedModel.builder()
      .turn(t -> t.toolCall("echo__echo", "{\"text\":\"hello\"}"))
      .turn(t -> t.text("Done."))
      .build();

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ChatBuilderAutoConfiguration.class, ChatBuilderMcpClientAutoConfiguration.class))
        .withPropertyValues("chatbuilder.sandbox.base-directory=" + dir, "chatbuilder.sandbox.isolation=unisolated")
        .withBean(ModelClient.class, () -> model);
  }

  private static String[] echoServer(String name) {
    return new String[] {
        "chatbuilder.mcp.clients." + name + ".command=" + Path.of(System.getProperty("java.home"), "bin", "java"),
        "chatbuilder.mcp.clients." + name + ".args[0]=-cp",
        "chatbuilder.mcp.clients." + name + ".args[1]=" + System.getProperty("java.class.path"),
        "chatbuilder.mcp.clients." + name + ".args[2]=" + EchoMcpServer.class.getName(),
        "chatbuilder.mcp.clients." + name + ".args[3]=from-args",
        "chatbuilder.mcp.clients." + name + ".call-timeout=5s",
        "chatbuilder.mcp.clients." + name + ".init-timeout=40s"};
  }

  @Test
  void noClientsNoSources() {
    runner().run(context -> {
      assertThat(context).hasNotFailed().doesNotHaveBean(McpToolSource.class).hasSingleBean(McpClientProperties.class);
      assertThat(context.getBean(McpClientProperties.class).clients()).isEmpty();
    });
  }

  @Test
  void aConfiguredServersToolsReachTheAgent() {
    runner().withPropertyValues(echoServer("echo")).run(context -> {
      assertThat(context).hasNotFailed().hasBean("chatBuilderMcpClient.echo");
      assertThat(context.getBeansOfType(Tool.class).values()).extracting(t -> t.definition().name()).contains("echo__echo");
      McpClientProperties.Client client = context.getBean(McpClientProperties.class).clients().get("echo");
      assertThat(client.callTimeout()).isEqualTo(Duration.ofSeconds(5));
      assertThat(client.initTimeout()).isEqualTo(Duration.ofSeconds(40));
      assertThat(client.args()).hasSize(4);

      RunResult result = context.getBean(ChatBuilder.class).chat("app", "Echo hello").completion().join();
      assertThat(result.outcome()).as("%s", result.error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(model.requests().get(1).messages()).filteredOn(ChatMessage.ToolResult.class::isInstance)
          .singleElement().satisfies(m -> assertThat(((ChatMessage.ToolResult) m).content()).isEqualTo("echo: hello from-args"));
    });
  }

  @Test
  void defaultsBind() {
    var source = new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(
        java.util.Map.of("chatbuilder.mcp.clients.gh.url", "https://mcp.example.com/mcp",
            "chatbuilder.mcp.clients.gh.headers.Authorization", "Bearer t"));
    McpClientProperties.Client client = new org.springframework.boot.context.properties.bind.Binder(source)
        .bind("chatbuilder.mcp", McpClientProperties.class).get().clients().get("gh");
    assertThat(client.callTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(client.initTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(client.command()).isEmpty();
    assertThat(client.headers()).containsEntry("Authorization", "Bearer t");
    assertThat(client.toString()).doesNotContain("Bearer t");
  }

  @Test
  void aServerThatCannotStartFailsTheStartNamingIt() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ChatBuilderMcpClientAutoConfiguration.class))
        .withPropertyValues("chatbuilder.mcp.clients.x.command=/nonexistent/server")
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("MCP server 'x'").hasMessageContaining("could not start"));
  }

  @Test
  void aClientNeedsExactlyOneOfCommandAndUrl() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ChatBuilderMcpClientAutoConfiguration.class))
        .withPropertyValues("chatbuilder.mcp.clients.x.command=/bin/true", "chatbuilder.mcp.clients.x.url=http://127.0.0.1:1/mcp")
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("exactly one of command (stdio) and url"));
  }

  @Test
  void anUnreachableHttpServerFailsTheStartNamingIt() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ChatBuilderMcpClientAutoConfiguration.class))
        .withPropertyValues("chatbuilder.mcp.clients.web.url=http://127.0.0.1:1/mcp", "chatbuilder.mcp.clients.web.init-timeout=3s")
        .run(context -> assertThat(context).hasFailed().getFailure().hasStackTraceContaining("MCP server 'web'"));
  }

  @Test
  void offWithoutTheModule() {
    runner().withClassLoader(new FilteredClassLoader(McpToolSource.class)).withPropertyValues(echoServer("echo"))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("chatBuilderMcpClient.echo")
            .doesNotHaveBean(McpClientProperties.class));
  }

  @Test
  void aHostsOwnBeanOfTheNameReplacesTheServer() {
    runner().withPropertyValues("chatbuilder.mcp.clients.echo.command=/nonexistent/server")
        .withBean("chatBuilderMcpClient.echo", String.class, () -> "the host's own")
        .run(context -> {
          assertThat(context).hasNotFailed().doesNotHaveBean(McpToolSource.class);
          assertThat(context.getBean("chatBuilderMcpClient.echo")).isEqualTo("the host's own");
        });
  }
}
