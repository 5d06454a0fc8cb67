package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.model.ToolDefinition;

/**
 * A tool the agent can call. The built-in ones ({@link BuiltinTools}) work on the sandbox; host apps
 * add their own (e.g. "query the product database") through the facade's builder.
 *
 * <p>The agent loop validates the arguments against {@link ToolDefinition#parameters()} before
 * calling {@link #execute}; a tool reports failure by throwing a
 * {@link io.chatbuilder.core.ChatBuilderException} (the model sees the message and can react).
 */
public interface Tool {

  ToolDefinition definition();

  /** Runs the call. Honour {@link ToolContext#cancellation()} in anything that blocks. */
  ToolResult execute(ToolContext context, ObjectNode arguments);
}
