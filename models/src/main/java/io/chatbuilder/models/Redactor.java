package io.chatbuilder.models;

import java.util.List;
import java.util.Objects;

/** Removes secrets (API keys, secret header values) from any text that may reach a log, event or exception. */
final class Redactor {
  private final List<String> secrets;

  Redactor(List<String> secrets) {
    this.secrets = secrets.stream().filter(Objects::nonNull).filter(s -> s.length() >= 4).toList();
  }

  String redact(String text) {
    if (text == null) {
      return "";
    }
    String result = text;
    for (String secret : secrets) {
      result = result.replace(secret, "[redacted]");
    }
    return result;
  }
}
