package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.MAPPER;
import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.streamText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.Usage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenAI-compatible streams beyond text and whole tool calls, replayed byte for byte: tool input
 * as it is written (parallel calls interleaved by index), reasoning fields of DeepSeek, OpenRouter
 * and Ollama, content as typed parts (Mistral), and prompt-cache usage.
 */
class OpenAiStreamingTest {
  private MockWebServer server;
  private final Fixtures.RecordingListener listener = new Fixtures.RecordingListener();

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private OpenAiChatModel model() {
    return OpenAiChatModel.builder().baseUrl(server.url("/v1").toString()).apiKey(SECRET_KEY).model("gpt-4.1")
        .retryPolicy(RetryPolicy.NONE).build();
  }

  private ModelResponse run(ModelRequest request) {
    return model().stream(request, listener, new Cancellation());
  }

  @Test
  void parallelCallsAreAnnouncedWithTheirIdsAndTheirFragmentsFollowAsTheyArrive() {
    server.enqueue(sse(streamText("openai/parallel-tool-calls.sse")));
    ModelResponse response = run(Fixtures.request("make a page"));
    assertThat(listener.calls).containsExactly(
        "start:call_Ua2tXb0k7Oq1:write_file",
        "start:call_Vb3uYc1l8Pr2:read_file",
        "input:call_Ua2tXb0k7Oq1:{\"path\": \"ind",
        "input:call_Vb3uYc1l8Pr2:{\"path\": \"pack",
        "input:call_Ua2tXb0k7Oq1:ex.html\", \"content\": \"<h1>Hi</h1>\"}",
        "input:call_Vb3uYc1l8Pr2:age.json\"}");
    for (ToolCall call : response.toolCalls()) {
      assertThat(listener.input(call.id())).isEqualTo(call.arguments());
    }
  }

  @Test
  void idlessContinuationsAndDuplicateIndexesStreamUnderTheFirstId() {
    server.enqueue(sse(streamText("openai/odd-fragments.sse")));
    ModelResponse response = run(Fixtures.request("search"));
    assertThat(listener.calls).containsExactly(
        "text:Let me check.",
        "start:call_0_a1:search_files",
        "input:call_0_a1:{\"query\":",
        "input:call_0_a1:\"dark",
        "input:call_0_a1: mode\"}",
        "start:call_1_b2:list_files",
        "input:call_1_b2:{}");
    assertThat(response.toolCalls()).extracting(ToolCall::id).containsExactly("call_0_a1", "call_1_b2");
  }

  @Test
  void wholeCallsInOneChunkAreAnnouncedWithTheirArguments() {
    server.enqueue(sse(streamText("openai/ollama-index-zero.sse")));
    run(Fixtures.request("two files"));
    assertThat(listener.calls).containsExactly(
        "start:call_e4wzsmtr:write_file",
        "input:call_e4wzsmtr:{\"content\":\"print(\\\"hello\\\")\",\"path\":\"hello.py\"}",
        "start:call_q2k1n8vd:write_file",
        "input:call_q2k1n8vd:{\"content\":\"print(\\\"world\\\")\",\"path\":\"world.py\"}");
  }

  @Test
  void aCallWithoutAServerIdKeepsTheIdItWasAnnouncedUnder() {
    server.enqueue(sse("""
        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"list_files","arguments":"{"}}]}}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]}}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: [DONE]

        """));
    ModelResponse response = run(Fixtures.request("list"));
    String id = response.toolCalls().get(0).id();
    assertThat(id).startsWith("call_");
    assertThat(listener.calls).containsExactly("start:" + id + ":list_files", "input:" + id + ":{", "input:" + id + ":}");
  }

  @Test
  void deepSeekReasoningContentIsReasoningAndCachedTokensAreReported() {
    server.enqueue(sse(streamText("openai/deepseek-reasoning-content.sse")));
    ModelResponse response = run(Fixtures.request("add a title"));
    assertThat(listener.calls).containsExactly(
        "reasoning:The page", "reasoning: needs a title.", "text:Adding", "text: a title.");
    assertThat(response.text()).isEqualTo("Adding a title.");
    assertThat(response.reasoning()).containsExactly(new Reasoning.Text("The page needs a title."));
    assertThat(response.usage()).isEqualTo(new Usage(1310, 48, 1280, 0));
  }

  @Test
  void openRouterReasoningFieldBeforeAToolCall() {
    server.enqueue(sse(streamText("openai/openrouter-reasoning.sse")));
    ModelResponse response = run(Fixtures.request("read index"));
    assertThat(listener.calls).containsExactly(
        "reasoning:Need", "reasoning: the file first.",
        "start:call_or_7f3a:read_file", "input:call_or_7f3a:{\"path\": \"index.html\"}");
    assertThat(response.text()).isEmpty();
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(response.reasoning()).containsExactly(new Reasoning.Text("Need the file first."));
  }

  @Test
  void ollamaReasoningFieldIsNeverAnswerText() {
    server.enqueue(sse(streamText("openai/ollama-reasoning.sse")));
    ModelResponse response = run(Fixtures.request("hi"));
    assertThat(response.text()).isEqualTo("Hello!");
    assertThat(response.reasoning()).containsExactly(new Reasoning.Text("Okay, a greeting."));
  }

  @Test
  void contentAsAnArrayOfTypedPartsIsReadNotDropped() {
    server.enqueue(sse(streamText("openai/mistral-content-parts.sse")));
    ModelResponse response = run(Fixtures.request("how many buttons?"));
    assertThat(listener.calls).containsExactly(
        "reasoning:Count the", "reasoning: buttons.", "text:There are ", "text:two", "text: buttons.");
    assertThat(response.text()).isEqualTo("There are two buttons.");
    assertThat(response.reasoning()).containsExactly(new Reasoning.Text("Count the buttons."));
  }

  @Test
  void promptCacheReadsAreReported() {
    server.enqueue(sse(streamText("openai/cached-usage.sse")));
    assertThat(run(Fixtures.request("again")).usage()).isEqualTo(new Usage(2006, 3, 1920, 0));
  }

  @Test
  void reasoningIsNotSentBackToOpenAiCompatibleServers() throws Exception {
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    List<ChatMessage> messages = new ArrayList<>(List.of(new ChatMessage.User("hi"),
        new ChatMessage.Assistant("Hello!", List.of(), List.of(new Reasoning.Text("Okay, a greeting.", "sig")))));
    messages.add(new ChatMessage.User("again"));
    run(new ModelRequest("sys", messages, List.of(), OptionalInt.empty()));
    String body = server.takeRequest().getBody().utf8();
    assertThat(body).doesNotContain("greeting").doesNotContain("reasoning");
    JsonNode assistant = MAPPER.readTree(body).get("messages").get(2);
    assertThat(assistant).isEqualTo(MAPPER.readTree("{\"role\":\"assistant\",\"content\":\"Hello!\"}"));
  }
}
