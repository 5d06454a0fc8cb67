package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.model.ModelClient;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Every condition and property of {@link ChatBuilderMcpAutoConfiguration}. */
class ChatBuilderMcpAutoConfigurationTest {
  @TempDir
  Path dir;

  private WebApplicationContextRunner web() {
    return new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ChatBuilderAutoConfiguration.class, ChatBuilderWebAutoConfiguration.class,
            ChatBuilderMcpAutoConfiguration.class))
        .withPropertyValues("chatbuilder.sandbox.base-directory=" + dir, "chatbuilder.sandbox.isolation=unisolated")
        .withBean(ModelClient.class, () -> Fixtures.writingModel(1));
  }

  @Test
  void offUnlessEnabled() {
    web().run(context -> assertThat(context).doesNotHaveBean(McpSyncServer.class).doesNotHaveBean(McpTools.class)
        .doesNotHaveBean(HttpServletStreamableServerTransportProvider.class));
    web().withPropertyValues("chatbuilder.mcp.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean(McpSyncServer.class));
  }

  @Test
  void enabledItServesTheToolsUnderTheBasePath() {
    web().withPropertyValues("chatbuilder.mcp.enabled=true", "chatbuilder.http.base-path=/builder",
        "chatbuilder.mcp.endpoint=/tools").run(context -> {
          assertThat(context).hasSingleBean(McpSyncServer.class).hasSingleBean(McpTools.class)
              .hasSingleBean(HttpServletStreamableServerTransportProvider.class);
          ServletRegistrationBean<?> servlet = context.getBean("chatBuilderMcpServlet", ServletRegistrationBean.class);
          assertThat(servlet.getUrlMappings()).containsExactly("/builder/tools");
          assertThat(servlet.isAsyncSupported()).isTrue();
        });
  }

  @Test
  void propertiesBindWithDefaults() {
    web().withPropertyValues("chatbuilder.mcp.enabled=true").run(context -> {
      ChatBuilderProperties.Mcp mcp = context.getBean(ChatBuilderProperties.class).mcp();
      assertThat(mcp.endpoint()).isEqualTo("/mcp");
      assertThat(mcp.maxWait()).isEqualTo(Duration.ofSeconds(60));
      assertThat(mcp.maxEvents()).isEqualTo(500);
    });
    web().withPropertyValues("chatbuilder.mcp.enabled=true", "chatbuilder.mcp.max-wait=5s", "chatbuilder.mcp.max-events=7")
        .run(context -> {
          ChatBuilderProperties.Mcp mcp = context.getBean(ChatBuilderProperties.class).mcp();
          assertThat(mcp.maxWait()).isEqualTo(Duration.ofSeconds(5));
          assertThat(mcp.maxEvents()).isEqualTo(7);
        });
    web().withPropertyValues("chatbuilder.mcp.enabled=true", "chatbuilder.mcp.endpoint=mcp/").run(context ->
        assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining("chatbuilder.mcp.endpoint"));
    web().withPropertyValues("chatbuilder.mcp.enabled=true", "chatbuilder.mcp.max-events=0").run(context ->
        assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining("chatbuilder.mcp.max-events"));
  }

  @Test
  void withoutTheSdkOrTheHttpApiThereIsNoServer() {
    web().withPropertyValues("chatbuilder.mcp.enabled=true").withClassLoader(new FilteredClassLoader("io.modelcontextprotocol"))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(McpTools.class));
    web().withPropertyValues("chatbuilder.mcp.enabled=true", "chatbuilder.http.enabled=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(McpSyncServer.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnTools {
    @Bean
    McpTools ownTools(AppOperations operations) {
      return new McpTools(operations, Duration.ofSeconds(1), 1);
    }
  }

  @Test
  void aHostsOwnBeansWin() {
    web().withPropertyValues("chatbuilder.mcp.enabled=true").withUserConfiguration(OwnTools.class)
        .run(context -> assertThat(context).hasSingleBean(McpTools.class).hasBean("ownTools")
            .doesNotHaveBean("chatBuilderMcpTools").hasSingleBean(McpSyncServer.class));
  }
}
