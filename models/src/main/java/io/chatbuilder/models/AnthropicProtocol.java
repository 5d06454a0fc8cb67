package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.model.Usage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/** Anthropic Messages API with {@code stream: true}. */
final class AnthropicProtocol implements WireProtocol {
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private final Json json = new Json();
  private final HttpUrl endpoint;
  private final String model;
  private final String apiKey;
  private final String version;
  private final Map<String, String> headers;
  private final int defaultMaxOutputTokens;

  AnthropicProtocol(HttpUrl endpoint, String model, String apiKey, String version, Map<String, String> headers,
      int defaultMaxOutputTokens) {
    this.endpoint = endpoint;
    this.model = model;
    this.apiKey = apiKey;
    this.version = version;
    this.headers = Map.copyOf(headers);
    this.defaultMaxOutputTokens = defaultMaxOutputTokens;
  }

  @Override
  public String provider() {
    return "anthropic";
  }

  @Override
  public Request httpRequest(ModelRequest request) {
    Request.Builder builder = new Request.Builder()
        .url(endpoint)
        .header("Accept", "text/event-stream")
        .header("anthropic-version", version)
        .post(RequestBody.create(json.write(body(request)), JSON));
    if (apiKey != null && !apiKey.isEmpty()) {
      builder.header("x-api-key", apiKey);
    }
    headers.forEach(builder::header);
    return builder.build();
  }

  ObjectNode body(ModelRequest request) {
    ObjectNode body = json.object();
    body.put("model", model);
    body.put("max_tokens", request.maxOutputTokens().orElse(defaultMaxOutputTokens));
    body.put("stream", true);
    if (!request.systemPrompt().isEmpty()) {
      body.put("system", request.systemPrompt());
    }
    ArrayNode messages = body.putArray("messages");
    // Tool results, notes and user text are all user-side content; consecutive ones form one user
    // message, with tool_result blocks first as the API requires.
    List<ObjectNode> pendingResults = new ArrayList<>();
    List<ObjectNode> pendingText = new ArrayList<>();
    for (ChatMessage message : request.messages()) {
      if (message instanceof ChatMessage.Assistant m) {
        ArrayNode content = json.object().putArray("content");
        if (!m.text().isBlank()) {
          content.addObject().put("type", "text").put("text", m.text());
        }
        for (ToolCall call : m.toolCalls()) {
          content.addObject().put("type", "tool_use").put("id", call.id()).put("name", call.name())
              .set("input", json.argumentsObject(call.arguments()));
        }
        if (!content.isEmpty()) { // the API rejects empty assistant turns; user content around one is merged
          flushUser(messages, pendingResults, pendingText);
          ObjectNode out = messages.addObject().put("role", "assistant");
          out.set("content", content);
        }
      } else if (message instanceof ChatMessage.ToolResult m) {
        ObjectNode block = json.object().put("type", "tool_result").put("tool_use_id", m.callId())
            .put("content", m.content()).put("is_error", m.error());
        pendingResults.add(block);
      } else if (message instanceof ChatMessage.User m) {
        pendingText.add(json.object().put("type", "text").put("text", m.text()));
      } else if (message instanceof ChatMessage.Note m) {
        pendingText.add(json.object().put("type", "text").put("text", OpenAiProtocol.NOTE_PREFIX + m.text()));
      }
    }
    flushUser(messages, pendingResults, pendingText);
    if (!request.tools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolDefinition tool : request.tools()) {
        tools.addObject().put("name", tool.name()).put("description", tool.description())
            .set("input_schema", tool.parameters());
      }
    }
    return body;
  }

  private static void flushUser(ArrayNode messages, List<ObjectNode> results, List<ObjectNode> text) {
    if (results.isEmpty() && text.isEmpty()) {
      return;
    }
    ObjectNode out = messages.addObject().put("role", "user");
    ArrayNode content = out.putArray("content");
    results.forEach(content::add);
    text.forEach(content::add);
    results.clear();
    text.clear();
  }

  @Override
  public String errorMessage(String body) {
    return json.errorMessage(body);
  }

  @Override
  public TurnParser newTurn(ModelStreamListener sink) {
    return new Turn(sink);
  }

  private final class Turn implements TurnParser {
    private final ModelStreamListener sink;
    private final StringBuilder text = new StringBuilder();
    private final Map<Integer, ToolBlock> toolBlocks = new LinkedHashMap<>();
    private String stopReason;
    private long inputTokens;
    private long outputTokens;

    Turn(ModelStreamListener sink) {
      this.sink = sink;
    }

    @Override
    public boolean onEvent(SseEvent event) {
      String data = event.data().strip();
      if (data.isEmpty()) {
        return false;
      }
      JsonNode e = json.tryParse(data).orElseThrow(() -> new ProviderFailure(
          "anthropic sent an event that is not JSON: " + OpenAiProtocol.abbreviate(data), false));
      String type = e.path("type").asText(event.event());
      switch (type) {
        case "message_start" -> readUsage(e.path("message").path("usage"));
        case "content_block_start" -> {
          JsonNode block = e.path("content_block");
          int index = e.path("index").asInt();
          String blockType = block.path("type").asText();
          if (blockType.equals("text")) {
            emit(block.path("text").asText(""));
          } else if (blockType.equals("tool_use")) {
            JsonNode input = block.get("input");
            toolBlocks.put(index, new ToolBlock(block.path("id").asText(""), block.path("name").asText(""),
                input != null && input.isObject() && !input.isEmpty() ? json.write(input) : ""));
          }
        }
        case "content_block_delta" -> {
          JsonNode delta = e.path("delta");
          switch (delta.path("type").asText()) {
            case "text_delta" -> emit(delta.path("text").asText(""));
            case "input_json_delta" -> {
              ToolBlock block = toolBlocks.get(e.path("index").asInt());
              if (block == null) {
                throw new ProviderFailure("anthropic sent input_json_delta for content block "
                    + e.path("index").asInt() + ", which is not a tool_use block", false);
              }
              block.appendPartial(delta.path("partial_json").asText(""));
            }
            default -> {
              // thinking_delta, signature_delta, citations_delta: not part of the turn's text
            }
          }
        }
        case "content_block_stop" -> {
          ToolBlock block = toolBlocks.get(e.path("index").asInt());
          if (block != null) {
            block.complete = true;
          }
        }
        case "message_delta" -> {
          JsonNode reason = e.path("delta").get("stop_reason");
          if (reason != null && reason.isTextual()) {
            stopReason = reason.asText();
          }
          readUsage(e.path("usage"));
        }
        case "message_stop" -> {
          return true;
        }
        case "error" -> throw streamError(e);
        default -> {
          // ping and event types added later are ignored, as the API's versioning policy asks
        }
      }
      return false;
    }

    private void emit(String delta) {
      if (!delta.isEmpty()) {
        text.append(delta);
        sink.onTextDelta(delta);
      }
    }

    private void readUsage(JsonNode usage) {
      if (!usage.isObject()) {
        return;
      }
      if (usage.has("input_tokens")) {
        inputTokens = usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong()
            + usage.path("cache_read_input_tokens").asLong();
      }
      if (usage.has("output_tokens")) {
        outputTokens = usage.path("output_tokens").asLong(); // cumulative in message_delta
      }
    }

    @Override
    public ModelResponse finish(boolean ended) {
      if (!ended) {
        throw new ProviderFailure("anthropic stream ended without message_stop: the response was truncated", true);
      }
      FinishReason reason = mapStopReason(stopReason);
      List<ToolCall> calls = new ArrayList<>();
      for (ToolBlock block : toolBlocks.values()) {
        String arguments = block.arguments();
        if (!block.complete && reason != FinishReason.LENGTH) {
          reason = FinishReason.LENGTH; // a tool_use block never closed: its input is cut off
        }
        calls.add(new ToolCall(block.id, block.name, arguments.isBlank() && reason != FinishReason.LENGTH ? "{}" : arguments));
      }
      if (!calls.isEmpty() && reason == FinishReason.STOP) {
        reason = FinishReason.TOOL_CALLS;
      }
      return new ModelResponse(text.toString(), calls, reason, new Usage(Math.max(0, inputTokens), Math.max(0, outputTokens)));
    }
  }

  static FinishReason mapStopReason(String reason) {
    if (reason == null) {
      return FinishReason.OTHER;
    }
    return switch (reason) {
      case "end_turn", "stop_sequence" -> FinishReason.STOP;
      case "tool_use" -> FinishReason.TOOL_CALLS;
      case "max_tokens", "model_context_window_exceeded" -> FinishReason.LENGTH;
      case "refusal" -> FinishReason.CONTENT_FILTER;
      default -> FinishReason.OTHER;
    };
  }

  private static ProviderFailure streamError(JsonNode event) {
    JsonNode error = event.path("error");
    String type = error.path("type").asText("error");
    String message = error.path("message").asText("");
    boolean retryable = switch (type) {
      case "overloaded_error", "api_error", "rate_limit_error", "timeout_error" -> true;
      default -> false;
    };
    return new ProviderFailure("anthropic stream failed mid-response: " + type + (message.isEmpty() ? "" : ": " + message),
        retryable);
  }

  /** A tool_use content block being streamed. */
  private static final class ToolBlock {
    final String id;
    final String name;
    final String startInput;
    final StringBuilder partial = new StringBuilder();
    boolean complete;

    ToolBlock(String id, String name, String startInput) {
      this.id = id;
      this.name = name;
      this.startInput = startInput;
    }

    void appendPartial(String json) {
      partial.append(json);
    }

    String arguments() {
      return partial.length() > 0 ? partial.toString() : startInput;
    }
  }
}
