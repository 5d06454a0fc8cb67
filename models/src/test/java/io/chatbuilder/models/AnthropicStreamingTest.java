package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.MAPPER;
import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.streamText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.ModelException;
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
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Anthropic streams beyond text and plain tool use, replayed byte for byte from recordings in the
 * documented formats: tool input as it is written, extended thinking with signatures sent back,
 * redacted thinking, server and MCP tool blocks, {@code pause_turn}, prompt-cache usage.
 */
class AnthropicStreamingTest {
  private static final String SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds3fUzw/2Gkg5X+VzSyIwGdhQ=";
  private static final String REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB8URj2pLmN3kLdxaz9aLyg=";

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

  private AnthropicChatModel.Builder builder() {
    return AnthropicChatModel.builder()
        .baseUrl(server.url("/").toString())
        .apiKey(SECRET_KEY)
        .model("claude-sonnet-4-5")
        .retryPolicy(RetryPolicy.NONE);
  }

  private ModelResponse run(AnthropicChatModel model, ModelRequest request) {
    return model.stream(request, listener, new Cancellation());
  }

  private JsonNode body(RecordedRequest request) throws IOException {
    return MAPPER.readTree(request.getBody().utf8());
  }

  @Test
  void thinkingStreamsAsReasoningAndToolInputAsItIsWritten() {
    server.enqueue(sse(streamText("anthropic/thinking-tool-use.sse")));
    ModelResponse response = run(builder().thinking(2048).build(), Fixtures.request("make a counter"));

    String id = "toolu_01Wr1teF1LeCounter0001";
    assertThat(listener.calls).containsExactly(
        "reasoning:The person wants a counter page.\n\n1. One file is enough",
        "reasoning:: index.html with a button.",
        "text:Writing the page.",
        "start:" + id + ":write_file",
        "input:" + id + ":{\"path\": \"index.html\"",
        "input:" + id + ":, \"content\": \"<button id=\\\"c\\\">0</button>",
        "input:" + id + ":\\n\"}");
    assertThat(response.text()).isEqualTo("Writing the page.");
    assertThat(response.reasoning()).containsExactly(new Reasoning.Text(
        "The person wants a counter page.\n\n1. One file is enough: index.html with a button.", SIGNATURE));
    assertThat(response.toolCalls()).containsExactly(new ToolCall(id, "write_file", listener.input(id)));
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    // input includes the cache parts; they are reported as well
    assertThat(response.usage()).isEqualTo(new Usage(2110 + 1850, 164, 0, 1850));
  }

  @Test
  void signedThinkingGoesBackUnchangedAtTheStartOfTheToolTurn() throws Exception {
    server.enqueue(sse(streamText("anthropic/thinking-tool-use.sse")));
    server.enqueue(sse(streamText("anthropic/thinking-answer.sse")));
    AnthropicChatModel model = builder().thinking(2048).build();
    ModelRequest first = Fixtures.request("make a counter");
    ModelResponse turn = run(model, first);

    List<ChatMessage> messages = new ArrayList<>(first.messages());
    messages.add(new ChatMessage.Assistant(turn.text(), turn.toolCalls(), turn.reasoning()));
    messages.add(new ChatMessage.ToolResult(turn.toolCalls().get(0).id(), "write_file", "wrote index.html", false));
    ModelResponse second = run(model, new ModelRequest(first.systemPrompt(), messages, first.tools(), OptionalInt.empty()));
    assertThat(second.text()).isEqualTo("Done: a counter.");
    assertThat(second.usage()).isEqualTo(new Usage(310 + 1850, 7, 1850, 0));

    JsonNode firstBody = body(server.takeRequest());
    assertThat(firstBody.get("thinking")).isEqualTo(MAPPER.readTree("{\"type\":\"enabled\",\"budget_tokens\":2048}"));
    assertThat(firstBody.get("max_tokens").asInt()).isEqualTo(8192);
    JsonNode secondBody = body(server.takeRequest());
    assertThat(secondBody.get("thinking").get("budget_tokens").asInt()).isEqualTo(2048);
    JsonNode assistant = secondBody.get("messages").get(1);
    assertThat(assistant).isEqualTo(MAPPER.readTree("""
        {"role":"assistant","content":[
          {"type":"thinking","thinking":"The person wants a counter page.\\n\\n1. One file is enough: index.html with a button.",
           "signature":"%s"},
          {"type":"text","text":"Writing the page."},
          {"type":"tool_use","id":"toolu_01Wr1teF1LeCounter0001","name":"write_file",
           "input":{"path":"index.html","content":"<button id=\\"c\\">0</button>\\n"}}]}
        """.formatted(SIGNATURE)));
    assertThat(secondBody.get("messages").get(2).get("content").get(0).get("cache_control").get("type").asText())
        .isEqualTo("ephemeral");
  }

  @Test
  void redactedThinkingIsKeptAndSentBackAsItCame() throws Exception {
    server.enqueue(sse(streamText("anthropic/redacted-thinking.sse")));
    server.enqueue(sse(streamText("anthropic/thinking-answer.sse")));
    AnthropicChatModel model = builder().thinking(1024).build();
    ModelRequest first = Fixtures.request("what does the page say?");
    ModelResponse turn = run(model, first);
    assertThat(turn.reasoning()).containsExactly(new Reasoning.Redacted(REDACTED));
    assertThat(listener.calls).noneMatch(c -> c.startsWith("reasoning:")); // nothing readable to show
    assertThat(turn.toolCalls()).containsExactly(new ToolCall("toolu_01Re4dF1le00000000001", "read_file", "{\"path\": \"index.html\"}"));

    List<ChatMessage> messages = new ArrayList<>(first.messages());
    messages.add(new ChatMessage.Assistant(turn.text(), turn.toolCalls(), turn.reasoning()));
    messages.add(new ChatMessage.ToolResult("toolu_01Re4dF1le00000000001", "read_file", "<h1>Hi</h1>", false));
    run(model, new ModelRequest(first.systemPrompt(), messages, first.tools(), OptionalInt.empty()));
    server.takeRequest();
    JsonNode content = body(server.takeRequest()).get("messages").get(1).get("content");
    assertThat(content.get(0)).isEqualTo(MAPPER.readTree("{\"type\":\"redacted_thinking\",\"data\":\"" + REDACTED + "\"}"));
    assertThat(content.get(1).get("type").asText()).isEqualTo("tool_use");
  }

  @Test
  void aToolLoopBegunWithoutThinkingGoesOnWithoutIt() throws Exception {
    server.enqueue(sse(streamText("anthropic/thinking-answer.sse")));
    server.enqueue(sse(streamText("anthropic/thinking-answer.sse")));
    AnthropicChatModel model = builder().thinking(2048).build();
    // the latest turn called a tool without thinking (thinking was off, or another model wrote it)
    List<ChatMessage> loop = List.of(new ChatMessage.User("read it"),
        new ChatMessage.Assistant("", List.of(new ToolCall("toolu_1", "read_file", "{\"path\":\"a\"}"))),
        new ChatMessage.ToolResult("toolu_1", "read_file", "A", false));
    run(model, new ModelRequest("sys", loop, Fixtures.tools(), OptionalInt.empty()));
    assertThat(body(server.takeRequest()).has("thinking")).isFalse();
    // the person's next message starts a turn with thinking again; unsigned reasoning is never sent
    List<ChatMessage> next = new ArrayList<>(loop);
    next.add(new ChatMessage.Assistant("A.", List.of(), List.of(new Reasoning.Text("from another provider"))));
    next.add(new ChatMessage.User("thanks"));
    run(model, new ModelRequest("sys", next, Fixtures.tools(), OptionalInt.empty()));
    JsonNode body = body(server.takeRequest());
    assertThat(body.has("thinking")).isTrue();
    assertThat(body.toString()).doesNotContain("from another provider");
  }

  @Test
  void aThinkingBudgetMustLeaveRoomForTheAnswer() {
    assertThatThrownBy(() -> builder().thinking(512)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder().thinking(8192).build()).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("thinking budget");
    AnthropicChatModel model = builder().thinking(4096).build();
    ModelRequest small = new ModelRequest("sys", List.of(new ChatMessage.User("hi")), List.of(), OptionalInt.of(2000));
    assertThatThrownBy(() -> run(model, small)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("max_tokens (2000)");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void serverToolMcpAndUnknownBlocksAreSkippedEvenWhenTheyStreamInput() {
    server.enqueue(sse(streamText("anthropic/server-tools.sse")));
    ModelResponse response = run(builder().build(), Fixtures.request("weather in NYC?"));
    assertThat(response.text()).isEqualTo("I'll check the current weather in New York City for you."
        + "Here's the current weather information for New York City: clear skies.");
    assertThat(response.toolCalls()).isEmpty(); // the client runs none of them
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(listener.calls).allMatch(c -> c.startsWith("text:"));
    assertThat(response.usage().inputTokens()).isEqualTo(10682);
    assertThat(response.usage().outputTokens()).isEqualTo(510);
  }

  @Test
  void pauseTurnSendsThePartialContentBackAndContinues() throws Exception {
    server.enqueue(sse(streamText("anthropic/pause-turn-1.sse")));
    server.enqueue(sse(streamText("anthropic/pause-turn-2.sse")));
    ModelResponse response = run(builder().build(), Fixtures.request("how do I set vite's base?"));
    assertThat(response.text()).isEqualTo("Searching the docs. Set base to './' in vite.config.js.");
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(response.usage()).isEqualTo(new Usage(1500 + 2400, 61 + 14));
    assertThat(listener.calls).containsExactly("text:Searching the docs. ", "text:Set base to './' in vite.config.js.");

    JsonNode first = body(server.takeRequest());
    JsonNode second = body(server.takeRequest());
    JsonNode messages = second.get("messages");
    assertThat(messages.size()).isEqualTo(first.get("messages").size() + 1);
    assertThat(messages.get(messages.size() - 1)).isEqualTo(MAPPER.readTree("""
        {"role":"assistant","content":[
          {"type":"text","text":"Searching the docs. "},
          {"type":"server_tool_use","id":"srvtoolu_01PauseSearch0000001","name":"web_search","input":{"query":"vite config base"}},
          {"type":"web_search_tool_result","tool_use_id":"srvtoolu_01PauseSearch0000001","content":[
            {"type":"web_search_result","title":"Shared Options | Vite","url":"https://vite.dev/config/shared-options",
             "encrypted_content":"EqgfCioIBBgCIiQ3YmU4Mjc2Zi1kNjJlLTQ=","page_age":null}]}]}
        """));
    // everything else is the same request
    for (String field : List.of("model", "max_tokens", "system", "tools")) {
      assertThat(second.get(field)).as(field).isEqualTo(first.get(field));
    }
  }

  @Test
  void aTurnThatPausesForeverIsGivenUp() {
    for (int i = 0; i < StreamingEngine.MAX_CONTINUATIONS; i++) {
      server.enqueue(sse(streamText("anthropic/pause-turn-1.sse")));
    }
    assertThatThrownBy(() -> run(builder().build(), Fixtures.request("loop")))
        .isInstanceOf(ModelException.class).hasMessageContaining("paused the turn " + StreamingEngine.MAX_CONTINUATIONS + " times");
    assertThat(server.getRequestCount()).isEqualTo(StreamingEngine.MAX_CONTINUATIONS);
  }

  @Test
  void fineGrainedToolStreamingSendsTheBetaHeaderAndKeepsTheHostsBetas() throws Exception {
    server.enqueue(sse(streamText("anthropic/fine-grained-tool-input.sse")));
    server.enqueue(sse(streamText("anthropic/fine-grained-tool-input.sse")));
    ModelResponse response = run(builder().fineGrainedToolStreaming(true).build(), Fixtures.request("style it"));
    assertThat(server.takeRequest().getHeaders().get("anthropic-beta")).isEqualTo(AnthropicChatModel.FINE_GRAINED_TOOL_STREAMING);
    String id = "toolu_01StyleCssFineGrained01";
    assertThat(listener.calls).filteredOn(c -> c.startsWith("input:")).hasSize(4);
    assertThat(MAPPER.readTree(listener.input(id)).get("content").asText()).isEqualTo("body {\n  margin: 0;\n  color: #0f172a;\n}\n");
    assertThat(response.toolCalls()).singleElement().satisfies(c -> assertThat(c.arguments()).isEqualTo(listener.input(id)));
    // cumulative usage in message_delta, cache reads included
    assertThat(response.usage()).isEqualTo(new Usage(640 + 512, 38, 512, 0));

    run(builder().header("anthropic-beta", "interleaved-thinking-2025-05-14").fineGrainedToolStreaming(true).build(),
        Fixtures.request("style it"));
    assertThat(server.takeRequest().getHeaders().get("anthropic-beta"))
        .isEqualTo("interleaved-thinking-2025-05-14," + AnthropicChatModel.FINE_GRAINED_TOOL_STREAMING);
  }

  @Test
  void toolInputThatCameWholeWithTheBlockStartIsStillReported() {
    server.enqueue(sse("""
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_w","name":"read_file","input":{"path":"a.txt"}}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":9}}

        event: message_stop
        data: {"type":"message_stop"}

        """));
    ModelResponse response = run(builder().build(), Fixtures.request("read a"));
    assertThat(listener.calls).containsExactly("start:toolu_w:read_file", "input:toolu_w:{\"path\":\"a.txt\"}");
    assertThat(response.toolCalls()).containsExactly(new ToolCall("toolu_w", "read_file", "{\"path\":\"a.txt\"}"));
  }
}
