package io.chatbuilder.tools.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real MCP server for the tests, on the SDK's server side. {@code main} serves it over stdio
 * ({@code java -cp <test class path> io.chatbuilder.tools.mcp.TestMcpServer [mode]}); the HTTP
 * test serves {@link #tools(boolean)} with the servlet transport. Mode {@code silent} reads
 * stdin and never answers (a server that never completes initialize).
 */
public final class TestMcpServer {
  private TestMcpServer() {}

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "normal";
    if (mode.equals("silent")) {
      System.in.transferTo(java.io.OutputStream.nullOutputStream());
      return;
    }
    McpServerTransportProvider transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper());
    build(McpServer.sync(transport), true);
    Thread.currentThread().join();
  }

  static io.modelcontextprotocol.server.McpSyncServer build(McpServer.SyncSpecification<?> spec, boolean canExit) {
    return spec.serverInfo("test-server", "1.0")
        .strictToolNameValidation(false) // a hostile server names its tools as it likes
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(tools(canExit))
        .build();
  }

  static List<SyncToolSpecification> tools(boolean canExit) {
    Map<String, Object> twoNumbers = Map.of("type", "object",
        "properties", Map.of("a", Map.of("type", "number"), "b", Map.of("type", "number")),
        "required", List.of("a", "b"));
    Map<String, Object> text = Map.of("type", "object", "properties", Map.of("text", Map.of("type", "string")),
        "required", List.of("text"));
    Map<String, Object> none = Map.of("type", "object", "properties", Map.of());
    List<SyncToolSpecification> tools = new ArrayList<>();
    tools.add(tool("add", "Adds two numbers.", twoNumbers, args -> {
      double sum = ((Number) args.get("a")).doubleValue() + ((Number) args.get("b")).doubleValue();
      return ok(sum == Math.rint(sum) ? Long.toString((long) sum) : Double.toString(sum));
    }));
    tools.add(tool("echo", "Echoes the text and the server's working directory and environment.", text, args ->
        ok(args.get("text") + " | cwd=" + Path.of("").toAbsolutePath() + " | MCP_TEST_VAR=" + System.getenv("MCP_TEST_VAR")
            + " | env=" + new java.util.TreeSet<>(System.getenv().keySet()))));
    tools.add(tool("hang", "Never returns.", none, args -> {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return ok("woke up");
    }));
    tools.add(tool("fail", "Reports a tool error.", none, args -> McpSchema.CallToolResult.builder()
        .addTextContent("the database is read-only").isError(true).build()));
    tools.add(tool("huge", "Returns a million characters.", none, args -> ok("x".repeat(1_000_000))));
    tools.add(tool("picture", "Returns text and an image.", none, args -> McpSchema.CallToolResult.builder()
        .addTextContent("a red dot:")
        .addContent(new McpSchema.ImageContent(null, "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "image/png"))
        .build()));
    tools.add(tool("bad name!/ünï", "A tool whose name breaks the providers' rule.", none, args -> ok("bad-named tool ran")));
    tools.add(tool("badschema", "A tool whose input schema is not an object schema.", Map.of("type", "string"), args -> ok("?")));
    if (canExit) {
      tools.add(tool("crash", "Exits the server mid-call.", none, args -> {
        Runtime.getRuntime().halt(3);
        return ok("unreachable");
      }));
      tools.add(tool("pid", "The server's process id.", none, args -> ok(Long.toString(ProcessHandle.current().pid()))));
    }
    return tools;
  }

  private static SyncToolSpecification tool(String name, String description, Map<String, Object> schema,
      java.util.function.Function<Map<String, Object>, McpSchema.CallToolResult> handler) {
    McpSchema.Tool tool = McpSchema.Tool.builder().name(name).description(description).inputSchema(schema).build();
    return SyncToolSpecification.builder().tool(tool)
        .callHandler((exchange, request) -> handler.apply(request.arguments() == null ? Map.of() : request.arguments()))
        .build();
  }

  private static McpSchema.CallToolResult ok(String text) {
    return McpSchema.CallToolResult.builder().addTextContent(text).build();
  }

}
