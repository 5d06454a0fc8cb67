package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.models.ModelClients;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Picks the studio's model from the environment: a provider configured for
 * {@link ModelClients#fromEnvironment(Map)} (Anthropic or OpenAI-compatible keys), else a local
 * Ollama at its default address if it answers and has a model, else the offline demo model.
 * {@code CHATBUILDER_DEMO=true} forces the demo; {@code CHATBUILDER_OLLAMA=off} skips the probe.
 */
final class ModelSelection {
  static final String DEFAULT_OLLAMA = "http://localhost:11434";

  /** The chosen model and one line saying why. */
  record Choice(ModelClient model, String reason) {}

  private ModelSelection() {}

  static Choice fromEnvironment(Map<String, String> env) {
    if (isTrue(env.get("CHATBUILDER_DEMO"))) {
      return new Choice(new DemoModel(), "offline demo model (CHATBUILDER_DEMO is set)");
    }
    Optional<ModelClient> configured = ModelClients.fromEnvironment(env);
    if (configured.isPresent()) {
      return new Choice(configured.get(), configured.get().name() + " from the environment");
    }
    if (!"off".equalsIgnoreCase(env.getOrDefault("CHATBUILDER_OLLAMA", ""))) {
      String base = Optional.ofNullable(env.get("OLLAMA_HOST")).filter(h -> !h.isBlank())
          .map(h -> h.startsWith("http") ? h : "http://" + h).orElse(DEFAULT_OLLAMA).replaceAll("/+$", "");
      Optional<String> model = Optional.ofNullable(env.get("CHATBUILDER_MODEL")).filter(m -> !m.isBlank())
          .or(() -> firstOllamaModel(base));
      if (model.isPresent() && ollamaAnswers(base)) {
        Map<String, String> ollama = new HashMap<>();
        ollama.put("CHATBUILDER_PROVIDER", "openai");
        ollama.put("OPENAI_BASE_URL", base + "/v1");
        ollama.put("CHATBUILDER_MODEL", model.get());
        ModelClient client = ModelClients.fromEnvironment(ollama).orElseThrow();
        return new Choice(client, client.name() + " on the local Ollama at " + base);
      }
    }
    return new Choice(new DemoModel(), "offline demo model (no ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENAI_BASE_URL or local Ollama found)");
  }

  private static boolean isTrue(String v) {
    return v != null && (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes"));
  }

  private static Optional<String> firstOllamaModel(String base) {
    return tags(base).flatMap(tags -> {
      for (JsonNode m : tags.path("models")) {
        String name = m.path("name").asText("");
        if (!name.isEmpty()) {
          return Optional.of(name);
        }
      }
      return Optional.empty();
    });
  }

  private static boolean ollamaAnswers(String base) {
    return tags(base).isPresent();
  }

  private static Optional<JsonNode> tags(String base) {
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create(base + "/api/tags")).timeout(Duration.ofSeconds(2)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return Optional.empty();
      }
      return new JsonCodec().tryRead(response.body());
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
