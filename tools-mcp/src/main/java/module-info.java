/**
 * Host tools over the Model Context Protocol: {@link io.chatbuilder.tools.mcp.McpToolSource} connects
 * to one MCP server (stdio or Streamable HTTP) and offers its tools to the agent as core tools.
 */
module io.chatbuilder.tools.mcp {
  requires transitive io.chatbuilder.core;
  requires io.modelcontextprotocol.sdk.mcp.core;
  requires reactor.core;
  requires org.reactivestreams;
  requires org.slf4j;
  requires java.net.http;

  exports io.chatbuilder.tools.mcp;
}
