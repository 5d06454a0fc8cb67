package io.chatbuilder.tools.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One tool of an MCP server as a core {@link Tool}. Failures (the tool's {@code isError}, a
 * timeout, a dead server) are thrown as {@link ChatBuilderException}s, core's one way for a tool to
 * fail: the loop records a {@code tool_failed} event and an error result the model sees, and the
 * run goes on.
 */
final class McpTool implements Tool {
  private final McpConnection connection;
  private final String mcpName;
  private final AtomicReference<ToolDefinition> definition;
  private final JsonCodec json;
  private final int maxResultChars;
  private volatile boolean offered = true;

  McpTool(McpConnection connection, String mcpName, ToolDefinition definition, JsonCodec json, int maxResultChars) {
    this.connection = connection;
    this.mcpName = mcpName;
    this.definition = new AtomicReference<>(definition);
    this.json = json;
    this.maxResultChars = maxResultChars;
  }

  String mcpName() {
    return mcpName;
  }

  /** After {@code tools/list_changed}: the new definition, or gone when the server no longer lists it. */
  void update(ToolDefinition newDefinition, boolean stillOffered) {
    if (newDefinition != null) {
      definition.set(newDefinition);
    }
    offered = stillOffered;
  }

  @Override
  public ToolDefinition definition() {
    return definition.get();
  }

  @Override
  public ToolResult execute(ToolContext context, ObjectNode arguments) {
    if (!offered) {
      throw new ChatBuilderException(ErrorCode.NOT_FOUND, "MCP server '" + connection.serverName() + "' no longer offers "
          + mcpName);
    }
    Map<String, Object> args = json.toJavaMap(arguments);
    McpSchema.CallToolResult result = connection.call(mcpName, args, context.cancellation());
    ToolResults.Text text = ToolResults.text(result, json, maxResultChars);
    if (Boolean.TRUE.equals(result.isError())) {
      throw new ChatBuilderException(ErrorCode.INTERNAL, mcpName + " on MCP server '" + connection.serverName()
          + "' reported an error: " + (text.content().isBlank() ? "(no message)" : text.content()));
    }
    return ToolResult.of(text.content(), mcpName + " (" + connection.serverName() + "): " + text.summary());
  }
}
