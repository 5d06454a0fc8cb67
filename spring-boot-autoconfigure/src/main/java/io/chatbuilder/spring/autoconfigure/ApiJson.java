package io.chatbuilder.spring.autoconfigure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.json.JsonCodec;

/** The API's JSON, written with core's codec so events and checkpoints look as they do everywhere else. */
final class ApiJson {
  private final JsonCodec codec = new JsonCodec();

  JsonCodec codec() {
    return codec;
  }

  ObjectNode object() {
    return codec.objectNode();
  }

  String write(JsonNode node) {
    return codec.write(node);
  }

  String error(String code, String message) {
    return write(object().put("code", code).put("message", message));
  }
}
