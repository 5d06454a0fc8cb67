package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.MAPPER;
import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.streamText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ModelException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.Usage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AnthropicChatModelTest {
  private MockWebServer server;
  private final Fixtures.RecordingSleeper sleeper = new Fixtures.RecordingSleeper();
  private final List<String> deltas = new CopyOnWriteArrayList<>();

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
        .sleeper(sleeper)
        .random(Fixtures.fraction(0.0))
        .retryPolicy(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(1000), 0.5))
        .maxRetryAfter(Duration.ofSeconds(30));
  }

  private ModelResponse run(AnthropicChatModel model) {
    return model.stream(Fixtures.request("make a page"), deltas::add, new Cancellation());
  }

  @Test
  void textAndToolUseBlocksWithPingAndUsage() {
    server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
    ModelResponse response = run(builder().build());
    assertThat(deltas).containsExactly("Okay, let's", " write the page — ✓");
    assertThat(response.text()).isEqualTo("Okay, let's write the page — ✓");
    assertThat(response.toolCalls()).containsExactly(
        new ToolCall("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "write_file", "{\"path\": \"index.html\", \"content\": \"<h1>Hi</h1>\"}"),
        new ToolCall("toolu_01Vb3uYc1l8Pr2xQ", "list_files", "{}"));
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(response.usage()).isEqualTo(new Usage(472, 89));
  }

  @Test
  void recordedStreamFedOneByteAtATimeGivesTheSameTurn() {
    server.enqueue(new MockResponse.Builder()
        .setHeader("Content-Type", "text/event-stream")
        .body(streamText("anthropic/text-and-tools.sse").replace("\n", "\r\n"))
        .throttleBody(1, 0, TimeUnit.MILLISECONDS)
        .build());
    ModelResponse response = run(builder().build());
    assertThat(response.text()).isEqualTo("Okay, let's write the page — ✓");
    assertThat(response.toolCalls()).hasSize(2);
  }

  @Test
  void cacheTokensCountAsInput() {
    server.enqueue(sse("""
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Done."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}

        event: message_stop
        data: {"type":"message_stop"}

        """));
    ModelResponse response = run(builder().build());
    assertThat(response.usage()).isEqualTo(new Usage(1110, 3, 1000, 100));
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  void maxTokensCutOffReportsLengthAndKeepsTheBrokenInput() {
    server.enqueue(sse(streamText("anthropic/max-tokens-cut-off.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(response.toolCalls()).singleElement().satisfies(call -> {
      assertThat(call.arguments()).isEqualTo("{\"path\": \"index.html\", \"content\": \"<html><body>lots");
      assertThat(new Json().tryParse(call.arguments())).isEmpty();
    });
  }

  @Test
  void overloadedErrorEventAfterTextFailsTheTurn() {
    server.enqueue(sse(streamText("anthropic/overloaded-midstream.sse")));
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessage("anthropic stream failed mid-response: overloaded_error: Overloaded");
    assertThat(deltas).containsExactly("Hello");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void overloadedErrorEventBeforeTextIsRetried() {
    server.enqueue(sse("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"x\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
        + "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"));
    server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
    assertThat(run(builder().build()).toolCalls()).hasSize(2);
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(sleeper.delays).containsExactly(Duration.ofMillis(50));
  }

  @Test
  void http529OverloadedHonoursRetryAfter() {
    server.enqueue(new MockResponse.Builder().code(529).setHeader("retry-after", "1")
        .body("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_1\"}")
        .build());
    server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
    run(builder().build());
    assertThat(sleeper.delays).containsExactly(Duration.ofSeconds(1));
  }

  @Test
  void shouldRetryHeaderFalseStopsRetries() {
    server.enqueue(new MockResponse.Builder().code(500).setHeader("x-should-retry", "false")
        .body("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessage("anthropic returned HTTP 500: api_error: Internal server error");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void authenticationErrorFailsAtOnceWithoutTheKey() {
    server.enqueue(new MockResponse.Builder().code(401)
        .body("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessage("anthropic returned HTTP 401: authentication_error: invalid x-api-key")
        .satisfies(e -> assertThat(((ModelException) e).retryable()).isFalse());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void missingMessageStopIsATruncatedStream() {
    server.enqueue(sse(streamText("anthropic/no-message-stop.sse")));
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("truncated");
    assertThat(deltas).containsExactly("Half an ans");
  }

  @Test
  void cancelClosesTheHttpStream() throws Exception {
    OpenAiChatModelTest.HeldBody body = new OpenAiChatModelTest.HeldBody(
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
        true);
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "text/event-stream").body(body).build());
    AnthropicChatModel model = builder().build();
    Cancellation cancellation = new Cancellation();
    CountDownLatch firstDelta = new CountDownLatch(1);
    CompletableFuture<ModelResponse> result = CompletableFuture.supplyAsync(() ->
        model.stream(Fixtures.request("x"), d -> firstDelta.countDown(), cancellation));
    assertThat(firstDelta.await(10, TimeUnit.SECONDS)).isTrue();
    cancellation.cancel();
    assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CancelledException.class);
    assertThat(body.clientClosed.await(10, TimeUnit.SECONDS)).as("server saw the connection close").isTrue();
  }

  @Test
  void requestBodyFollowsTheMessagesShape() throws Exception {
    server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
    builder().build().stream(Fixtures.conversation(), deltas::add, new Cancellation());
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getUrl().encodedPath()).isEqualTo("/v1/messages");
    assertThat(recorded.getHeaders().get("x-api-key")).isEqualTo(SECRET_KEY);
    assertThat(recorded.getHeaders().get("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(recorded.getHeaders().get("Authorization")).isNull();
    JsonNode body = MAPPER.readTree(recorded.getBody().utf8());
    // prompt caching is on by default: breakpoints on the system prompt, the conversation, the last tool
    JsonNode expected = MAPPER.readTree("""
        {"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,
         "system":[{"type":"text","text":"You build web apps.","cache_control":{"type":"ephemeral"}}],
         "messages":[
          {"role":"user","content":[{"type":"text","text":"make a page"}]},
          {"role":"assistant","content":[
            {"type":"text","text":"Writing it."},
            {"type":"tool_use","id":"call_A","name":"write_file","input":{"path":"index.html","content":"<h1>Hi</h1>"}},
            {"type":"tool_use","id":"call_B","name":"read_file","input":{}}]},
          {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"call_A","content":"wrote index.html (11 bytes)","is_error":false},
            {"type":"tool_result","tool_use_id":"call_B","content":"invalid JSON arguments","is_error":true},
            {"type":"text","text":"[system note] the person undid your last change"},
            {"type":"text","text":"now add a footer","cache_control":{"type":"ephemeral"}}]}]}
        """);
    for (String field : List.of("model", "max_tokens", "stream", "system", "messages")) {
      assertThat(body.get(field)).as(field).isEqualTo(expected.get(field));
    }
    assertThat(body.has("thinking")).isFalse();
    JsonNode tool = body.get("tools").get(0);
    assertThat(tool.get("name").asText()).isEqualTo("write_file");
    assertThat(tool.get("description").asText()).isEqualTo("Tool write_file");
    assertThat(tool.get("input_schema").get("type").asText()).isEqualTo("object");
    assertThat(tool.has("cache_control")).isFalse();
    assertThat(body.get("tools")).hasSize(4);
    assertThat(body.get("tools").get(3).get("cache_control")).isEqualTo(MAPPER.readTree("{\"type\":\"ephemeral\"}"));
    assertThat(recorded.getHeaders().get("anthropic-beta")).isNull();
  }

  @Test
  void withoutPromptCachingTheSystemPromptIsAStringAndNothingIsMarked() throws Exception {
    server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
    builder().promptCaching(false).build().stream(Fixtures.conversation(), deltas::add, new Cancellation());
    String body = server.takeRequest().getBody().utf8();
    assertThat(MAPPER.readTree(body).get("system").asText()).isEqualTo("You build web apps.");
    assertThat(body).doesNotContain("cache_control");
  }

  @Test
  void defaultMaxTokensIsSentBecauseTheApiRequiresIt() throws Exception {
    server.enqueue(sse(streamText("anthropic/text-and-tools.sse")));
    builder().defaultMaxOutputTokens(4096).build().stream(Fixtures.request("hi"), deltas::add, new Cancellation());
    assertThat(MAPPER.readTree(server.takeRequest().getBody().utf8()).get("max_tokens").asInt()).isEqualTo(4096);
  }

  @Test
  void unknownEventTypesAreIgnoredAndThinkingIsReasoningNotText() {
    server.enqueue(sse("""
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: brand_new_event
        data: {"type":"brand_new_event","whatever":true}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":"Answer"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}

        event: message_stop
        data: {"type":"message_stop"}

        """));
    ModelResponse response = run(builder().build());
    assertThat(response.text()).isEqualTo("Answer");
    assertThat(deltas).containsExactly("Answer");
    assertThat(response.reasoning()).containsExactly(new io.chatbuilder.core.model.Reasoning.Text("Let me think", "EqQB"));
    assertThat(response.usage()).isEqualTo(new Usage(3, 9));
  }
}
