package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.json.JsonCodec;
import java.util.Optional;

/** The providers' JSON needs (lenient argument objects, error bodies) over core's one {@link JsonCodec}. */
final class Json {
  private final JsonCodec codec = new JsonCodec();

  ObjectNode object() {
    return codec.objectNode();
  }

  /** Parses {@code text}, or empty if it is not valid JSON (trailing garbage included). */
  Optional<JsonNode> tryParse(String text) {
    return codec.tryRead(text);
  }

  /** Stored tool arguments as a JSON object; anything else (invalid, cut off, not an object) becomes {@code {}}. */
  ObjectNode argumentsObject(String arguments) {
    return tryParse(arguments).filter(JsonNode::isObject).map(n -> (ObjectNode) n).orElseGet(this::object);
  }

  String write(JsonNode node) {
    return codec.write(node);
  }

  /** The message of a provider's JSON error body: {@code error.message}, {@code error} as text, or {@code message}. */
  String errorMessage(String body) {
    Optional<JsonNode> parsed = tryParse(body);
    if (parsed.isEmpty() || !parsed.get().isObject()) {
      return body.strip();
    }
    JsonNode root = parsed.get();
    JsonNode error = root.get("error");
    if (error != null && error.isObject()) {
      String type = error.path("type").asText("");
      String message = error.path("message").asText("");
      if (message.isEmpty()) {
        return error.toString();
      }
      return type.isEmpty() ? message : type + ": " + message;
    }
    if (error != null && error.isTextual()) {
      return error.asText();
    }
    if (root.path("message").isTextual()) {
      return root.path("message").asText();
    }
    return body.strip();
  }
}
