package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the studio picks its model from the environment, with a real HTTP server standing in for Ollama. */
class ModelSelectionTest {
  private HttpServer ollama;

  @AfterEach
  void stop() {
    if (ollama != null) {
      ollama.stop(0);
    }
  }

  private String fakeOllama(String tagsJson) throws Exception {
    ollama = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ollama.createContext("/api/tags", exchange -> {
      byte[] body = tagsJson.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    ollama.start();
    return "127.0.0.1:" + ollama.getAddress().getPort();
  }

  private static String closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }

  @Test
  void withNothingConfiguredTheOfflineDemoAnswers() throws Exception {
    ModelSelection.Choice choice = ModelSelection.fromEnvironment(Map.of("OLLAMA_HOST", closedPort()));
    assertThat(choice.model()).isInstanceOf(DemoModel.class);
    assertThat(choice.reason()).contains("offline demo");
  }

  @Test
  void providerKeysWin() throws Exception {
    ModelSelection.Choice openai = ModelSelection.fromEnvironment(Map.of("OPENAI_API_KEY", "sk-test", "OLLAMA_HOST", closedPort()));
    assertThat(openai.model()).isNotInstanceOf(DemoModel.class);
    assertThat(openai.model().name()).contains("gpt-4.1-mini").doesNotContain("sk-test");
    ModelSelection.Choice anthropic = ModelSelection.fromEnvironment(Map.of("ANTHROPIC_API_KEY", "sk-ant-test"));
    assertThat(anthropic.model().name()).contains("claude").doesNotContain("sk-ant-test");
  }

  @Test
  void demoCanBeForcedEvenWithAKey() {
    ModelSelection.Choice choice = ModelSelection.fromEnvironment(Map.of("CHATBUILDER_DEMO", "true", "OPENAI_API_KEY", "sk-test"));
    assertThat(choice.model()).isInstanceOf(DemoModel.class);
  }

  @Test
  void aLocalOllamaWithAModelIsUsedThroughItsOpenAiCompatibleApi() throws Exception {
    String host = fakeOllama("{\"models\":[{\"name\":\"qwen2.5-coder:7b\"},{\"name\":\"llama3.2:3b\"}]}");
    ModelSelection.Choice choice = ModelSelection.fromEnvironment(Map.of("OLLAMA_HOST", host));
    assertThat(choice.model()).isNotInstanceOf(DemoModel.class);
    assertThat(choice.model().name()).contains("qwen2.5-coder:7b");
    assertThat(choice.reason()).contains("Ollama").contains(host);

    ModelSelection.Choice named = ModelSelection.fromEnvironment(Map.of("OLLAMA_HOST", host, "CHATBUILDER_MODEL", "llama3.2:3b"));
    assertThat(named.model().name()).contains("llama3.2:3b");
  }

  @Test
  void anOllamaWithoutModelsOrSwitchedOffIsNotUsed() throws Exception {
    String host = fakeOllama("{\"models\":[]}");
    assertThat(ModelSelection.fromEnvironment(Map.of("OLLAMA_HOST", host)).model()).isInstanceOf(DemoModel.class);
    assertThat(ModelSelection.fromEnvironment(Map.of("OLLAMA_HOST", host, "CHATBUILDER_OLLAMA", "off", "CHATBUILDER_MODEL", "x"))
        .model()).isInstanceOf(DemoModel.class);
  }
}
