package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.streamText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.model.ModelClient;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

class ModelClientsTest {

  @Test
  void nothingConfiguredGivesNoClient() {
    assertThat(ModelClients.fromEnvironment(Map.of())).isEmpty();
    assertThat(ModelClients.fromEnvironment(Map.of("ANTHROPIC_API_KEY", "  ", "OPENAI_API_KEY", ""))).isEmpty();
  }

  @Test
  void anthropicKeyPicksAnthropicWithDefaultOrGivenModel() {
    assertThat(ModelClients.fromEnvironment(Map.of("ANTHROPIC_API_KEY", SECRET_KEY)))
        .hasValueSatisfying(m -> assertThat(m.name()).isEqualTo("anthropic:" + ModelClients.DEFAULT_ANTHROPIC_MODEL));
    assertThat(ModelClients.fromEnvironment(Map.of("ANTHROPIC_API_KEY", SECRET_KEY, "OPENAI_API_KEY", "sk-other",
        "CHATBUILDER_MODEL", "claude-opus-4-1")))
        .hasValueSatisfying(m -> assertThat(m.name()).isEqualTo("anthropic:claude-opus-4-1"));
  }

  @Test
  void providerVariableOverridesTheGuess() {
    assertThat(ModelClients.fromEnvironment(Map.of("ANTHROPIC_API_KEY", SECRET_KEY, "OPENAI_API_KEY", "sk-other",
        "CHATBUILDER_PROVIDER", "OpenAI")))
        .hasValueSatisfying(m -> assertThat(m.name()).isEqualTo("openai:" + ModelClients.DEFAULT_OPENAI_MODEL));
    assertThatThrownBy(() -> ModelClients.fromEnvironment(Map.of("CHATBUILDER_PROVIDER", "gemini")))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("gemini");
  }

  @Test
  void openAiBaseUrlAloneTalksToALocalServerWithoutKey() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.start();
      server.enqueue(sse(streamText("openai/text-with-usage.sse")));
      ModelClient model = ModelClients.fromEnvironment(Map.of("OPENAI_BASE_URL", server.url("/v1").toString(),
          "CHATBUILDER_MODEL", "llama3.1:8b")).orElseThrow();
      assertThat(model.name()).isEqualTo("openai:llama3.1:8b");
      model.stream(Fixtures.request("hi"), d -> {}, new Cancellation());
      RecordedRequest request = server.takeRequest();
      assertThat(request.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
      assertThat(request.getHeaders().get("Authorization")).isNull();
    }
  }

  @Test
  void keysAndBaseUrlsReachTheRequests() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.start();
      server.enqueue(sse(streamText("openai/text-with-usage.sse")));
      server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
      ModelClients.fromEnvironment(Map.of("OPENAI_API_KEY", SECRET_KEY, "OPENAI_BASE_URL", server.url("/v1").toString()))
          .orElseThrow().stream(Fixtures.request("hi"), d -> {}, new Cancellation());
      ModelClients.fromEnvironment(Map.of("ANTHROPIC_API_KEY", SECRET_KEY, "ANTHROPIC_BASE_URL", server.url("/").toString()))
          .orElseThrow().stream(Fixtures.request("hi"), d -> {}, new Cancellation());
      assertThat(server.takeRequest().getHeaders().get("Authorization")).isEqualTo("Bearer " + SECRET_KEY);
      RecordedRequest anthropic = server.takeRequest();
      assertThat(anthropic.getUrl().encodedPath()).isEqualTo("/v1/messages");
      assertThat(anthropic.getHeaders().get("x-api-key")).isEqualTo(SECRET_KEY);
    }
  }
}
