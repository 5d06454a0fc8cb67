package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.MAPPER;
import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.stream;
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
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiChatModelTest {
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

  private OpenAiChatModel.Builder builder() {
    return OpenAiChatModel.builder()
        .baseUrl(server.url("/v1").toString())
        .apiKey(SECRET_KEY)
        .model("gpt-4.1")
        .sleeper(sleeper)
        .random(Fixtures.fraction(0.5))
        .retryPolicy(new RetryPolicy(4, Duration.ofMillis(100), Duration.ofMillis(1000), 0.5))
        .maxRetryAfter(Duration.ofSeconds(30));
  }

  private ModelResponse run(OpenAiChatModel model) {
    return model.stream(Fixtures.request("make a page"), deltas::add, new Cancellation());
  }

  @Test
  void streamsTextInOrderAndReadsTheUsageChunkWithEmptyChoices() {
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    ModelResponse response = run(builder().build());
    assertThat(deltas).containsExactly("Hello", ", wörld", " 👋 — 你好");
    assertThat(response.text()).isEqualTo("Hello, wörld 👋 — 你好");
    assertThat(response.toolCalls()).isEmpty();
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(response.usage()).isEqualTo(new Usage(19, 10));
  }

  @Test
  void anOverlongEventLineFailsTheTurnWithoutRetrying() {
    server.enqueue(sse("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "x".repeat(5000) + "\"}}]}\n\n"));
    assertThatThrownBy(() -> run(builder().maxLineBytes(2048).build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("openai sent a line longer than 2048 bytes")
        .satisfies(e -> assertThat(((ModelException) e).retryable()).isFalse());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void parallelToolCallsWithInterleavedFragmentsAreAccumulatedPerIndex() {
    server.enqueue(sse(streamText("openai/parallel-tool-calls.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.toolCalls()).containsExactly(
        new ToolCall("call_Ua2tXb0k7Oq1", "write_file", "{\"path\": \"index.html\", \"content\": \"<h1>Hi</h1>\"}"),
        new ToolCall("call_Vb3uYc1l8Pr2", "read_file", "{\"path\": \"package.json\"}"));
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(response.usage()).isEqualTo(new Usage(120, 41));
    assertThat(deltas).isEmpty();
  }

  @Test
  void continuationFragmentsWithoutIdEmptyTypeAndDuplicateIndexesInOneChunk() {
    server.enqueue(sse(streamText("openai/odd-fragments.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.text()).isEqualTo("Let me check.");
    assertThat(response.toolCalls()).containsExactly(
        new ToolCall("call_0_a1", "search_files", "{\"query\":\"dark mode\"}"),
        new ToolCall("call_1_b2", "list_files", "{}"));
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(response.usage()).isEqualTo(new Usage(88, 25));
  }

  @Test
  void ollamaStyleCallsAllAtIndexZeroStaySeparateAndStopBecomesToolCalls() throws Exception {
    server.enqueue(sse(streamText("openai/ollama-index-zero.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.toolCalls()).containsExactly(
        new ToolCall("call_e4wzsmtr", "write_file", "{\"content\":\"print(\\\"hello\\\")\",\"path\":\"hello.py\"}"),
        new ToolCall("call_q2k1n8vd", "write_file", "{\"content\":\"print(\\\"world\\\")\",\"path\":\"world.py\"}"));
    for (ToolCall call : response.toolCalls()) {
      assertThat(Fixtures.MAPPER.readTree(call.arguments()).isObject()).isTrue();
    }
    assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(response.usage()).isEqualTo(new Usage(212, 58));
  }

  @Test
  void argumentsSentAsAnObjectAndCallsWithoutIdsAreKept() {
    server.enqueue(sse("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"read_file\","
        + "\"arguments\":{\"path\":\"a.txt\"}}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"));
    ModelResponse response = run(builder().build());
    assertThat(response.toolCalls()).hasSize(1);
    ToolCall call = response.toolCalls().get(0);
    assertThat(call.name()).isEqualTo("read_file");
    assertThat(call.arguments()).isEqualTo("{\"path\":\"a.txt\"}");
    assertThat(call.id()).startsWith("call_").hasSizeGreaterThan(10);
  }

  @Test
  void lengthCutOffKeepsTheBrokenArgumentsAndReportsLength() {
    server.enqueue(sse(streamText("openai/length-cut-off.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(response.toolCalls()).singleElement().satisfies(call -> {
      assertThat(call.id()).isEqualTo("call_len1");
      assertThat(call.arguments()).isEqualTo("{\"path\":\"index.html\",\"content\":\"<html><body><h1>Very long");
      assertThat(new Json().tryParse(call.arguments())).isEmpty();
    });
  }

  @Test
  void missingDoneAtEndOfStreamIsATruncatedStreamNotSuccess() {
    server.enqueue(sse(streamText("openai/no-done.sse")));
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("truncated");
    assertThat(deltas).containsExactly("Partial", " answer");
    assertThat(server.getRequestCount()).isEqualTo(1); // text reached the caller: never retried
  }

  @Test
  void truncatedStreamBeforeAnyTextIsRetried() {
    server.enqueue(sse("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"));
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.text()).isEqualTo("Hello, wörld 👋 — 你好");
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(sleeper.delays).hasSize(1);
  }

  @Test
  void crlfDataWithoutSpaceCommentsAndMultiLineDataFedOneByteAtATime() {
    String body = ": keep-alive\r\n\r\n"
        + "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"né\"}}]}\r\n\r\n"
        + ": OPENROUTER PROCESSING\r\n\r\n"
        + "data: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\" 👋🏽 中\"},\"finish_reason\":\"stop\"}]}\r\n\r\n"
        + "data:[DONE]\r\n\r\n";
    server.enqueue(new MockResponse.Builder()
        .setHeader("Content-Type", "text/event-stream")
        .body(body)
        .throttleBody(1, 0, TimeUnit.MILLISECONDS) // one byte per socket write
        .build());
    ModelResponse response = run(builder().build());
    assertThat(deltas).containsExactly("né", " 👋🏽 中");
    assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  void idleStreamTimesOut() {
    HeldBody body = new HeldBody("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", false);
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "text/event-stream").body(body).build());
    OpenAiChatModel model = builder().idleTimeout(Duration.ofMillis(300)).build();
    try {
      assertThatThrownBy(() -> run(model))
          .isInstanceOf(ModelException.class)
          .hasMessageContaining("idle timeout");
      assertThat(deltas).containsExactly("Hi");
    } finally {
      body.release.countDown();
    }
  }

  @Test
  void cancelClosesTheHttpStreamAtOnce() throws Exception {
    HeldBody body = new HeldBody("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", true);
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "text/event-stream").body(body).build());
    OpenAiChatModel model = builder().build();
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
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryAfterMsIsHonouredOn429() {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("retry-after-ms", "1500")
        .body("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}").build());
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    ModelResponse response = run(builder().build());
    assertThat(response.text()).startsWith("Hello");
    assertThat(sleeper.delays).containsExactly(Duration.ofMillis(1500));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void retryAfterSecondsAndHttpDateAreHonouredOn5xx() {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("retry-after", "2").body("busy").build());
    server.enqueue(new MockResponse.Builder().code(502).setHeader("retry-after", "Thu, 01 Jan 2026 00:00:03 GMT").build());
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    OpenAiChatModel model = builder()
        .clock(java.time.Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC))
        .build();
    run(model);
    assertThat(sleeper.delays).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(3));
  }

  @Test
  void withoutHintsBackoffIsExponentialJitteredAndCapped() {
    for (int i = 0; i < 4; i++) {
      server.enqueue(new MockResponse.Builder().code(500).body("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}").build());
    }
    OpenAiChatModel model = builder()
        .retryPolicy(new RetryPolicy(4, Duration.ofMillis(400), Duration.ofMillis(1000), 0.5))
        .maxRetryAfter(Duration.ofSeconds(30))
        .build();
    assertThatThrownBy(() -> run(model))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("HTTP 500")
        .hasMessageContaining("server_error: boom")
        .hasMessageEndingWith("(gave up after 4 attempts)")
        .satisfies(e -> assertThat(((ModelException) e).retryable()).isTrue());
    // random 0.5 -> 3/4 of 400, 800, min(1600, 1000)
    assertThat(sleeper.delays).containsExactly(Duration.ofMillis(300), Duration.ofMillis(600), Duration.ofMillis(750));
    assertThat(server.getRequestCount()).isEqualTo(4);
  }

  @Test
  void retryAfterBeyondTheLimitFailsAtOnce() {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("retry-after", "3600").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("HTTP 429")
        .hasMessageContaining("retry after 3600000 ms");
    assertThat(sleeper.delays).isEmpty();
  }

  @Test
  void theDefaultsAreThreeJitteredRetriesFrom500MsAndHintsUpTo60Seconds() {
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.url("/v1").toString()).apiKey(SECRET_KEY)
        .model("gpt-4.1").sleeper(sleeper).random(Fixtures.fraction(0.0)).build();
    server.enqueue(new MockResponse.Builder().code(429).setHeader("retry-after", "60").build());
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(500).body("{\"error\":{\"message\":\"boom\"}}").build());
    }
    assertThatThrownBy(() -> run(model)).hasMessageEndingWith("(gave up after 4 attempts)");
    // the 60 s hint replaces the first backoff (500 ms); then random 0.0 -> half of 1000, 2000 ms
    assertThat(sleeper.delays).containsExactly(Duration.ofSeconds(60), Duration.ofMillis(500), Duration.ofSeconds(1));

    server.enqueue(new MockResponse.Builder().code(429).setHeader("retry-after", "61").build());
    assertThatThrownBy(() -> run(model)).hasMessageContaining("retry after 61000 ms")
        .hasMessageContaining("maximum of 60000 ms");
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  @Test
  void unauthorizedFailsAtOnceWithTheProviderMessageAndNoKey() {
    // OpenAI echoes a masked key; a careless proxy might echo the whole key.
    server.enqueue(new MockResponse.Builder().code(401).body("{\"error\":{\"message\":\"Incorrect API key provided: "
        + SECRET_KEY + ". You can find your API key at https://platform.openai.com/account/api-keys.\","
        + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("Incorrect API key provided")
        .satisfies(e -> {
          assertThat(((ModelException) e).retryable()).isFalse();
          assertThat(e.getMessage()).doesNotContain(SECRET_KEY);
          assertThat(String.valueOf(e.getCause())).doesNotContain(SECRET_KEY);
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(sleeper.delays).isEmpty();
  }

  @Test
  void badRequestFailsAtOnce() {
    server.enqueue(new MockResponse.Builder().code(400).body("{\"error\":{\"message\":\"Invalid schema for function"
        + " 'write_file'\",\"type\":\"invalid_request_error\",\"param\":\"tools[0].function.parameters\",\"code\":"
        + "\"invalid_function_parameters\"}}").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessage("openai returned HTTP 400: invalid_request_error: Invalid schema for function 'write_file'");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void ollamaStyleStringErrorIsReported() {
    server.enqueue(new MockResponse.Builder().code(404).body("{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessage("openai returned HTTP 404: model \"llama9\" not found, try pulling it first");
  }

  @Test
  void errorAfterHttp200MidStreamFailsTheTurnWithoutRetry() {
    server.enqueue(sse(streamText("openai/openrouter-midstream-error.sse")));
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("mid-response")
        .hasMessageContaining("Provider disconnected unexpectedly");
    assertThat(deltas).containsExactly("Working on it");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void transientErrorEventBeforeAnyTextIsRetried() {
    server.enqueue(sse("data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n"));
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    assertThat(run(builder().build()).text()).startsWith("Hello");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void chunkThatIsNotJsonFailsClearly() {
    server.enqueue(sse("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\ndata: <html>502 Bad Gateway</html>\n\n"));
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("not JSON")
        .hasMessageContaining("<html>502 Bad Gateway</html>");
  }

  @Test
  void jsonBodyInsteadOfAnEventStreamIsAClearError() {
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "application/json")
        .body("{\"error\":{\"message\":\"stream is not supported by this proxy\",\"type\":\"invalid_request_error\"}}").build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("instead of an event stream")
        .hasMessageContaining("stream is not supported by this proxy");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void connectionDroppedBeforeTheResponseIsRetried() {
    server.enqueue(new MockResponse.Builder().onRequestStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    assertThat(run(builder().build()).text()).startsWith("Hello");
    assertThat(sleeper.delays).hasSize(1);
  }

  @Test
  void connectionDroppedMidStreamAfterTextFailsAsNetworkError() {
    server.enqueue(new MockResponse.Builder().setHeader("Content-Type", "text/event-stream")
        .body(streamText("openai/text-with-usage.sse"))
        .onResponseBody(new SocketEffect.CloseSocket())
        .build());
    assertThatThrownBy(() -> run(builder().build()))
        .isInstanceOf(ModelException.class)
        .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("network error", "truncated"));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void azureContentFilterPreambleAndRefusalDeltas() {
    server.enqueue(sse("""
        data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}

        data: {"choices":[{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1748000200,"id":"chatcmpl-Az1","model":"gpt-4.1-2025-04-14","object":"chat.completion.chunk","system_fingerprint":"fp_1"}

        data: {"choices":[{"content_filter_results":{},"delta":{"refusal":"I can't help with that."},"finish_reason":null,"index":0,"logprobs":null}],"created":1748000200,"id":"chatcmpl-Az1","model":"gpt-4.1-2025-04-14","object":"chat.completion.chunk","system_fingerprint":"fp_1"}

        data: {"choices":[{"content_filter_results":{},"delta":{},"finish_reason":"content_filter","index":0,"logprobs":null}],"created":1748000200,"id":"chatcmpl-Az1","model":"gpt-4.1-2025-04-14","object":"chat.completion.chunk","system_fingerprint":"fp_1"}

        data: [DONE]

        """));
    ModelResponse response = run(builder().build());
    assertThat(response.text()).isEqualTo("I can't help with that.");
    assertThat(response.finishReason()).isEqualTo(FinishReason.CONTENT_FILTER);
  }

  @Test
  void cancelDuringARetryWaitStopsAtOnce() throws Exception {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("retry-after", "90").build());
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.url("/v1").toString()).model("m")
        .retryPolicy(new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(1), 0.5))
        .maxRetryAfter(Duration.ofMinutes(5))
        .build(); // the real sleeper
    Cancellation cancellation = new Cancellation();
    CompletableFuture<ModelResponse> result = CompletableFuture.supplyAsync(() ->
        model.stream(Fixtures.request("x"), deltas::add, cancellation));
    assertThat(server.takeRequest(10, TimeUnit.SECONDS)).isNotNull();
    cancellation.cancel();
    assertThatThrownBy(() -> result.get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CancelledException.class);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryLogLinesNeverShowTheKey() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503)
        .body("{\"error\":{\"message\":\"upstream rejected key " + SECRET_KEY + "\",\"type\":\"server_error\"}}").build());
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      run(builder().build());
    } finally {
      System.setErr(original);
    }
    String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(log).contains("openai request failed").contains("upstream rejected key [redacted]");
    assertThat(log).doesNotContain(SECRET_KEY);
  }

  @Test
  void requestBodyFollowsTheChatCompletionsShape() throws Exception {
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    builder().build().stream(Fixtures.conversation(), deltas::add, new Cancellation());
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getMethod()).isEqualTo("POST");
    assertThat(recorded.getUrl().encodedPath()).isEqualTo("/v1/chat/completions");
    assertThat(recorded.getHeaders().get("Authorization")).isEqualTo("Bearer " + SECRET_KEY);
    assertThat(recorded.getHeaders().get("Content-Type")).startsWith("application/json");
    JsonNode body = MAPPER.readTree(recorded.getBody().utf8());
    JsonNode expected = MAPPER.readTree("""
        {"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":true},"max_tokens":1024,
         "messages":[
          {"role":"system","content":"You build web apps."},
          {"role":"user","content":"make a page"},
          {"role":"assistant","content":"Writing it.","tool_calls":[
            {"id":"call_A","type":"function","function":{"name":"write_file","arguments":"{\\"path\\":\\"index.html\\",\\"content\\":\\"<h1>Hi</h1>\\"}"}},
            {"id":"call_B","type":"function","function":{"name":"read_file","arguments":"{}"}}]},
          {"role":"tool","tool_call_id":"call_A","content":"wrote index.html (11 bytes)"},
          {"role":"tool","tool_call_id":"call_B","content":"[tool error] invalid JSON arguments"},
          {"role":"user","content":"[system note] the person undid your last change"},
          {"role":"assistant","content":""},
          {"role":"user","content":"now add a footer"}]}
        """);
    assertThat(body.get("model")).isEqualTo(expected.get("model"));
    assertThat(body.get("stream")).isEqualTo(expected.get("stream"));
    assertThat(body.get("stream_options")).isEqualTo(expected.get("stream_options"));
    assertThat(body.get("max_tokens")).isEqualTo(expected.get("max_tokens"));
    assertThat(body.get("messages")).isEqualTo(expected.get("messages"));
    JsonNode tool = body.get("tools").get(0);
    assertThat(tool.get("type").asText()).isEqualTo("function");
    assertThat(tool.get("function").get("name").asText()).isEqualTo("write_file");
    assertThat(tool.get("function").get("description").asText()).isEqualTo("Tool write_file");
    assertThat(tool.get("function").get("parameters").get("required"))
        .isEqualTo(MAPPER.readTree("[\"path\",\"content\"]"));
    assertThat(body.get("tools")).hasSize(4);
  }

  @Test
  void azureStylePathQueryAndKeyHeader() throws Exception {
    server.enqueue(sse(streamText("openai/text-with-usage.sse")));
    OpenAiChatModel model = OpenAiChatModel.builder()
        .baseUrl(server.url("/openai/deployments/my-gpt").toString())
        .queryParameter("api-version", "2024-10-21")
        .apiKeyHeader("api-key")
        .apiKey(SECRET_KEY)
        .maxTokensParameter("max_completion_tokens")
        .defaultMaxOutputTokens(500)
        .model("gpt-4.1")
        .build();
    model.stream(Fixtures.request("hi"), deltas::add, new Cancellation());
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getUrl().encodedPath()).isEqualTo("/openai/deployments/my-gpt/chat/completions");
    assertThat(recorded.getUrl().queryParameter("api-version")).isEqualTo("2024-10-21");
    assertThat(recorded.getHeaders().get("api-key")).isEqualTo(SECRET_KEY);
    assertThat(recorded.getHeaders().get("Authorization")).isNull();
    assertThat(MAPPER.readTree(recorded.getBody().utf8()).get("max_completion_tokens").asInt()).isEqualTo(500);
  }

  @Test
  void localServerWithoutKeySendsNoAuthorization() throws Exception {
    server.enqueue(sse(streamText("openai/ollama-index-zero.sse")));
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.url("/v1/").toString()).model("qwen2.5-coder:7b")
        .includeUsage(false).build();
    model.stream(Fixtures.request("hi"), deltas::add, new Cancellation());
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getHeaders().get("Authorization")).isNull();
    assertThat(MAPPER.readTree(recorded.getBody().utf8()).has("stream_options")).isFalse();
    assertThat(model.name()).isEqualTo("openai:qwen2.5-coder:7b");
    assertThat(model.toString()).doesNotContain(SECRET_KEY);
  }

  @Test
  void keyNeverAppearsInNameOrToString() {
    OpenAiChatModel model = builder().build();
    assertThat(model.name()).doesNotContain(SECRET_KEY);
    assertThat(model.toString()).doesNotContain(SECRET_KEY);
  }

  @Test
  void modelIsRequired() {
    assertThatThrownBy(() -> OpenAiChatModel.builder().build())
        .isInstanceOf(io.chatbuilder.core.InvalidArgumentException.class)
        .hasMessageContaining("model");
    assertThatThrownBy(() -> OpenAiChatModel.builder().model("m").baseUrl("ftp://x").build())
        .isInstanceOf(io.chatbuilder.core.InvalidArgumentException.class);
  }

  /**
   * A body that sends a first event and then holds the stream open: silently ({@code keepAlive}
   * false, for idle timeouts), or writing keep-alive comments until the client closes the
   * connection, which it records.
   */
  static final class HeldBody implements MockResponseBody {
    final CountDownLatch clientClosed = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final String first;
    private final boolean keepAlive;

    HeldBody(String first, boolean keepAlive) {
      this.first = first;
      this.keepAlive = keepAlive;
    }

    @Override
    public long getContentLength() {
      return -1;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      sink.writeUtf8(first).flush();
      try {
        if (!keepAlive) {
          release.await(30, TimeUnit.SECONDS);
          return;
        }
        for (int i = 0; i < 3000; i++) {
          Thread.sleep(10);
          sink.writeUtf8(": keep-alive\n\n").flush();
        }
      } catch (IOException e) {
        clientClosed.countDown();
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
    }
  }
}
