package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Small builder for the JSON Schemas of tool arguments. */
public final class Schemas {
  private final ObjectNode schema = JsonNodeFactory.instance.objectNode();
  private final ObjectNode properties;
  private final ArrayNode required;

  private Schemas() {
    schema.put("type", "object");
    properties = schema.putObject("properties");
    required = schema.putArray("required");
    schema.put("additionalProperties", false);
  }

  public static Schemas object() {
    return new Schemas();
  }

  public Schemas string(String name, String description, boolean isRequired) {
    return property(name, "string", description, isRequired);
  }

  public Schemas integer(String name, String description, boolean isRequired) {
    return property(name, "integer", description, isRequired);
  }

  public Schemas bool(String name, String description, boolean isRequired) {
    return property(name, "boolean", description, isRequired);
  }

  public Schemas stringArray(String name, String description, boolean isRequired) {
    ObjectNode p = properties.putObject(name);
    p.put("type", "array");
    p.put("description", description);
    p.putObject("items").put("type", "string");
    if (isRequired) {
      required.add(name);
    }
    return this;
  }

  /** An array whose items are objects of the schema {@code items} builds. */
  public Schemas objectArray(String name, String description, Schemas items, boolean isRequired) {
    ObjectNode p = properties.putObject(name);
    p.put("type", "array");
    p.put("description", description);
    p.set("items", items.build());
    if (isRequired) {
      required.add(name);
    }
    return this;
  }

  private Schemas property(String name, String type, String description, boolean isRequired) {
    ObjectNode p = properties.putObject(name);
    p.put("type", type);
    p.put("description", description);
    if (isRequired) {
      required.add(name);
    }
    return this;
  }

  public ObjectNode build() {
    return schema.deepCopy();
  }
}
