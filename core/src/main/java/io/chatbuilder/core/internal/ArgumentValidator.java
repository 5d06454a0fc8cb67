package io.chatbuilder.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.InvalidArgumentException;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks tool arguments against the subset of JSON Schema tool definitions use: object type,
 * properties with primitive, array and object types, required, additionalProperties and enum. The
 * message tells the model exactly what to fix. Not API.
 */
public final class ArgumentValidator {
  private ArgumentValidator() {}

  public static void validate(String tool, JsonNode schema, JsonNode args) {
    if (!args.isObject()) {
      throw new InvalidArgumentException("invalid arguments for " + tool + ": expected a JSON object, got " + kind(args));
    }
    check(tool, "", schema, args);
  }

  private static void check(String tool, String where, JsonNode schema, JsonNode value) {
    String type = schema.path("type").asText("");
    if (!type.isEmpty() && !matches(type, value)) {
      throw new InvalidArgumentException("invalid arguments for " + tool + ": " + (where.isEmpty() ? "arguments" : "'" + where + "'")
          + " must be " + article(type) + ", got " + kind(value));
    }
    JsonNode allowed = schema.get("enum");
    if (allowed != null && allowed.isArray()) {
      boolean found = false;
      for (JsonNode a : allowed) {
        found |= a.equals(value);
      }
      if (!found) {
        throw new InvalidArgumentException("invalid arguments for " + tool + ": '" + where + "' must be one of " + allowed);
      }
    }
    if (value.isObject()) {
      ObjectNode object = (ObjectNode) value;
      JsonNode properties = schema.path("properties");
      for (JsonNode required : schema.path("required")) {
        JsonNode v = object.get(required.asText());
        if (v == null || v.isNull()) {
          throw new InvalidArgumentException("invalid arguments for " + tool + ": missing required '" + path(where, required.asText()) + "'");
        }
      }
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode propertySchema = properties.get(field.getKey());
        if (propertySchema == null) {
          if (schema.path("additionalProperties").isBoolean() && !schema.get("additionalProperties").asBoolean()) {
            throw new InvalidArgumentException("invalid arguments for " + tool + ": unknown argument '" + path(where, field.getKey())
                + "'; expected " + properties.properties().stream().map(Map.Entry::getKey).toList());
          }
          continue;
        }
        if (field.getValue().isNull() && !isRequired(schema, field.getKey())) {
          continue;
        }
        check(tool, path(where, field.getKey()), propertySchema, field.getValue());
      }
    } else if (value.isArray() && schema.has("items")) {
      int i = 0;
      for (JsonNode item : value) {
        check(tool, where + "[" + i++ + "]", schema.get("items"), item);
      }
    }
  }

  private static boolean isRequired(JsonNode schema, String name) {
    for (JsonNode r : schema.path("required")) {
      if (r.asText().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(String type, JsonNode v) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()));
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> true;
    };
  }

  private static String kind(JsonNode v) {
    if (v.isObject()) {
      return "an object";
    }
    if (v.isArray()) {
      return "an array";
    }
    if (v.isTextual()) {
      return "a string";
    }
    if (v.isNumber()) {
      return "a number";
    }
    if (v.isBoolean()) {
      return "a boolean";
    }
    return "null";
  }

  private static String article(String type) {
    return switch (type) {
      case "object", "array", "integer" -> "an " + type;
      default -> "a " + type;
    };
  }

  private static String path(String where, String name) {
    return where.isEmpty() ? name : where + "." + name;
  }
}
