package io.chatbuilder.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the model is told about a tool: its name, what it does, and the JSON Schema of its
 * arguments (an object schema).
 */
public record ToolDefinition(String name, String description, ObjectNode parameters) {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

  public ToolDefinition {
    Objects.requireNonNull(name, "name == null");
    Objects.requireNonNull(description, "description == null");
    Objects.requireNonNull(parameters, "parameters == null");
    if (!NAME.matcher(name).matches()) {
      // The limit every major provider applies to function names.
      throw new IllegalArgumentException("tool name must match [a-zA-Z0-9_-]{1,64}: " + name);
    }
    parameters = parameters.deepCopy();
  }

  @Override
  public ObjectNode parameters() {
    return parameters.deepCopy();
  }
}
