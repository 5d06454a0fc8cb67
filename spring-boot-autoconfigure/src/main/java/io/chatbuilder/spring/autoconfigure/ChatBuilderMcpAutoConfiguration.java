package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.access.AppAccessPolicy;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * ChatBuilder as an MCP server (Streamable HTTP, the MCP Java SDK's servlet transport) at
 * {@code chatbuilder.http.base-path} + {@code chatbuilder.mcp.endpoint} (default {@code /admin/mcp}).
 * Off unless {@code chatbuilder.mcp.enabled=true}. It sits under the API's base path, so the
 * {@link HttpGuard} (Host allowlist, Origin check, access token) and Spring Security's rules for
 * that path cover it as they cover the HTTP API; its tools are the HTTP API's operations
 * ({@link AppOperations}), asked of the same {@link AppAccessPolicy}.
 */
@AutoConfiguration(after = ChatBuilderWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({McpSyncServer.class, HttpServletStreamableServerTransportProvider.class})
@ConditionalOnProperty(prefix = "chatbuilder.mcp", name = "enabled", havingValue = "true")
@ConditionalOnBean(AppOperations.class)
public class ChatBuilderMcpAutoConfiguration {
  static final String SERVER_NAME = "chatbuilder";

  @Bean
  @ConditionalOnMissingBean
  McpTools chatBuilderMcpTools(AppOperations operations, ChatBuilderProperties properties) {
    return new McpTools(operations, properties.mcp().maxWait(), properties.mcp().maxEvents());
  }

  @Bean
  @ConditionalOnMissingBean
  HttpServletStreamableServerTransportProvider chatBuilderMcpTransport(ChatBuilderProperties properties,
      PrincipalResolver principals) {
    return HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(McpJsonDefaults.getMapper())
        .mcpEndpoint(endpoint(properties))
        // Runs on the request's thread, where Spring Security's context is: the tool call gets its caller.
        .contextExtractor(request -> McpTools.context(principals.resolve(request)))
        .maxRequestSize(properties.http().maxRequestBytes())
        .build();
  }

  @Bean
  @ConditionalOnMissingBean(name = "chatBuilderMcpServlet")
  ServletRegistrationBean<HttpServletStreamableServerTransportProvider> chatBuilderMcpServlet(
      HttpServletStreamableServerTransportProvider transport, ChatBuilderProperties properties) {
    ServletRegistrationBean<HttpServletStreamableServerTransportProvider> registration =
        new ServletRegistrationBean<>(transport, endpoint(properties));
    registration.setName("chatBuilderMcp");
    registration.setAsyncSupported(true);
    return registration;
  }

  @Bean(destroyMethod = "closeGracefully")
  @ConditionalOnMissingBean
  McpSyncServer chatBuilderMcpServer(HttpServletStreamableServerTransportProvider transport, McpTools tools) {
    return McpServer.sync(transport)
        .serverInfo(SERVER_NAME, version())
        .instructions("Build web apps by chatting with ChatBuilder's agent: create_app, then chat (returns a run_id), "
            + "then run_events with wait_seconds until done; every run ends in a checkpoint that undo, redo and "
            + "restore move between.")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
        .tools(tools.specifications())
        .build();
  }

  static String endpoint(ChatBuilderProperties properties) {
    return properties.http().basePath() + properties.mcp().endpoint();
  }

  private static String version() {
    String v = ChatBuilderMcpAutoConfiguration.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
