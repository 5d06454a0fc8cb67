package io.chatbuilder.spring.autoconfigure;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;

/** A real stdio MCP server with one tool, {@code echo}, for the MCP client auto-configuration's tests. */
public final class EchoMcpServer {
  private EchoMcpServer() {}

  public static void main(String[] args) throws Exception {
    // Standard output is the protocol: the test class path's logging must not write there.
    java.io.PrintStream protocol = System.out;
    System.setOut(System.err);
    McpSchema.Tool echo = McpSchema.Tool.builder().name("echo").description("Echoes the text.")
        .inputSchema(Map.of("type", "object", "properties", Map.of("text", Map.of("type", "string")), "required", List.of("text")))
        .build();
    McpServer.sync(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), System.in, protocol))
        .serverInfo("echo", "1.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(SyncToolSpecification.builder().tool(echo)
            .callHandler((exchange, request) -> McpSchema.CallToolResult.builder()
                .addTextContent("echo: " + request.arguments().get("text") + " " + String.join(",", args)).build())
            .build())
        .build();
    Thread.currentThread().join();
  }
}
