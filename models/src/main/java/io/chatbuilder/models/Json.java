package io.chatbuilder.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** Small JSON helpers over one mapper. */
final class Json {
  private final ObjectMapper mapper = new ObjectMapper();

  ObjectNode object() {
    return mapper.createObjectNode();
  }

  /** Parses {@code text}, or empty if it is not valid JSON (trailing garbage included). */
  Optional<JsonNode> tryParse(String text) {
    try {
      JsonNode node = mapper.readTree(text);
      return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  /** Stored tool arguments as a JSON object; anything else (invalid, cut off, not an object) becomes {@code {}}. */
  ObjectNode argumentsObject(String arguments) {
    return tryParse(arguments).filter(JsonNode::isObject).map(n -> (ObjectNode) n).orElseGet(this::object);
  }

  String write(JsonNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot print JSON", e);
    }
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
