package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.model.Usage;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/** OpenAI Chat Completions with {@code stream: true}, as spoken by OpenAI and compatible servers. */
final class OpenAiProtocol implements WireProtocol {
  static final String NOTE_PREFIX = "[system note] ";
  static final String ERROR_PREFIX = "[tool error] ";
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private final Json json = new Json();
  private final HttpUrl endpoint;
  private final String model;
  private final String apiKey;
  private final String apiKeyHeader;
  private final Map<String, String> headers;
  private final String maxTokensParameter;
  private final OptionalInt defaultMaxOutputTokens;
  private final boolean includeUsage;

  OpenAiProtocol(HttpUrl endpoint, String model, String apiKey, String apiKeyHeader, Map<String, String> headers,
      String maxTokensParameter, OptionalInt defaultMaxOutputTokens, boolean includeUsage) {
    this.endpoint = endpoint;
    this.model = model;
    this.apiKey = apiKey;
    this.apiKeyHeader = apiKeyHeader;
    this.headers = Map.copyOf(headers);
    this.maxTokensParameter = maxTokensParameter;
    this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    this.includeUsage = includeUsage;
  }

  @Override
  public String provider() {
    return "openai";
  }

  @Override
  public Request httpRequest(ModelRequest request) {
    Request.Builder builder = new Request.Builder()
        .url(endpoint)
        .header("Accept", "text/event-stream")
        .post(RequestBody.create(json.write(body(request)), JSON));
    if (apiKey != null && !apiKey.isEmpty()) {
      builder.header(apiKeyHeader, "authorization".equalsIgnoreCase(apiKeyHeader) ? "Bearer " + apiKey : apiKey);
    }
    headers.forEach(builder::header);
    return builder.build();
  }

  ObjectNode body(ModelRequest request) {
    ObjectNode body = json.object();
    body.put("model", model);
    body.put("stream", true);
    if (includeUsage) {
      body.putObject("stream_options").put("include_usage", true);
    }
    OptionalInt maxTokens = request.maxOutputTokens().isPresent() ? request.maxOutputTokens() : defaultMaxOutputTokens;
    maxTokens.ifPresent(n -> body.put(maxTokensParameter, n));
    ArrayNode messages = body.putArray("messages");
    if (!request.systemPrompt().isEmpty()) {
      messages.addObject().put("role", "system").put("content", request.systemPrompt());
    }
    for (ChatMessage message : request.messages()) {
      if (message instanceof ChatMessage.User m) {
        ObjectNode user = messages.addObject().put("role", "user");
        if (m.images().isEmpty()) {
          user.put("content", m.textWithContext());
        } else {
          // Images go as content parts after the text, each a data URL of the bytes as attached.
          ArrayNode parts = user.putArray("content");
          parts.addObject().put("type", "text").put("text", m.textWithContext());
          for (Attachment.Image image : m.images()) {
            parts.addObject().put("type", "image_url").putObject("image_url").put("url", image.dataUrl());
          }
        }
      } else if (message instanceof ChatMessage.Note m) {
        messages.addObject().put("role", "user").put("content", NOTE_PREFIX + m.text());
      } else if (message instanceof ChatMessage.ToolResult m) {
        messages.addObject()
            .put("role", "tool")
            .put("tool_call_id", m.callId())
            .put("content", m.error() && !m.content().startsWith("Error") ? ERROR_PREFIX + m.content() : m.content());
      } else if (message instanceof ChatMessage.Assistant m) {
        ObjectNode out = messages.addObject().put("role", "assistant");
        if (m.toolCalls().isEmpty()) {
          out.put("content", m.text());
        } else {
          if (m.text().isEmpty()) {
            out.putNull("content");
          } else {
            out.put("content", m.text());
          }
          ArrayNode calls = out.putArray("tool_calls");
          for (ToolCall call : m.toolCalls()) {
            ObjectNode c = calls.addObject().put("id", call.id()).put("type", "function");
            // Servers that parse arguments (vLLM, Ollama) reject invalid JSON; the model already got an error result.
            c.putObject("function").put("name", call.name()).put("arguments", json.write(json.argumentsObject(call.arguments())));
          }
        }
      }
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolDefinition tool : request.tools()) {
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", tool.name()).put("description", tool.description()).set("parameters", tool.parameters());
      }
    }
    return body;
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
    private final StringBuilder reasoning = new StringBuilder();
    private final ToolCallAccumulator toolCalls;
    private String finishReason;
    private Usage usage = Usage.ZERO;

    Turn(ModelStreamListener sink) {
      this.sink = sink;
      this.toolCalls = new ToolCallAccumulator(sink);
    }

    @Override
    public boolean onEvent(SseEvent event) {
      String data = event.data().strip();
      if (data.isEmpty()) {
        return false;
      }
      if (data.equals("[DONE]")) {
        return true;
      }
      JsonNode chunk = json.tryParse(data).orElseThrow(() -> new ProviderFailure(
          "openai sent a chunk that is not JSON: " + abbreviate(data), false));
      JsonNode error = chunk.get("error");
      if (error != null && !error.isNull() || "error".equals(event.event())) {
        throw midStreamError(chunk);
      }
      JsonNode usageNode = chunk.get("usage");
      if (usageNode != null && usageNode.isObject()) {
        usage = usage(usageNode);
      }
      for (JsonNode choice : chunk.path("choices")) {
        if (choice.path("index").asInt(0) != 0) {
          continue; // only the first choice is a turn; n>1 is never requested
        }
        JsonNode delta = choice.path("delta");
        // DeepSeek and older vLLM say reasoning_content; OpenRouter, Ollama and newer vLLM say reasoning.
        String thought = firstNonEmpty(delta.get("reasoning_content"), delta.get("reasoning"));
        if (!thought.isEmpty()) {
          reasoning(thought);
        }
        JsonNode content = delta.get("content");
        if (content != null && content.isTextual()) {
          text(content.asText());
        } else if (content != null && content.isArray()) {
          contentParts(content);
        }
        JsonNode refusal = delta.get("refusal");
        if (refusal != null && refusal.isTextual()) {
          text(refusal.asText()); // a refusal is the model's answer; show it like text
        }
        for (JsonNode fragment : delta.path("tool_calls")) {
          toolCalls.add(fragment);
        }
        JsonNode functionCall = delta.get("function_call");
        if (functionCall != null && functionCall.isObject()) {
          toolCalls.addLegacyFunctionCall(functionCall);
        }
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && finish.isTextual() && !finish.asText().isEmpty()) {
          finishReason = finish.asText();
        }
      }
      return false;
    }

    private void text(String delta) {
      if (!delta.isEmpty()) {
        text.append(delta);
        sink.onTextDelta(delta);
      }
    }

    private void reasoning(String delta) {
      if (!delta.isEmpty()) {
        reasoning.append(delta);
        sink.onReasoningDelta(delta);
      }
    }

    /**
     * {@code content} as an array of typed parts (Mistral, some gateways): text parts are text,
     * thinking parts are reasoning, and parts of other types are skipped.
     */
    private void contentParts(JsonNode parts) {
      for (JsonNode part : parts) {
        if (part.isTextual()) {
          text(part.asText());
          continue;
        }
        switch (part.path("type").asText("")) {
          case "text", "output_text" -> text(part.path("text").asText(""));
          case "refusal" -> text(part.path("refusal").asText(""));
          case "thinking", "reasoning" -> reasoning(partText(part.has("thinking") ? part.get("thinking")
              : part.has("reasoning") ? part.get("reasoning") : part.get("text")));
          default -> {
            // images, audio, parts added later: not text
          }
        }
      }
    }

    @Override
    public ModelResponse finish(boolean ended) {
      if (!ended) {
        throw new ProviderFailure("openai stream ended without [DONE]: the response was truncated"
            + (finishReason == null ? "" : " (after finish_reason=" + finishReason + ")"), true);
      }
      FinishReason reason = mapFinishReason(finishReason);
      List<ToolCall> calls = toolCalls.calls(reason == FinishReason.LENGTH);
      if (!calls.isEmpty() && reason == FinishReason.STOP) {
        reason = FinishReason.TOOL_CALLS; // several servers and models report "stop" with tool calls
      }
      if (finishReason == null) {
        reason = calls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS;
      }
      List<Reasoning> thoughts = reasoning.length() == 0 ? List.of() : List.of(new Reasoning.Text(reasoning.toString()));
      return new ModelResponse(text.toString(), calls, reason, usage, thoughts);
    }
  }

  /**
   * Usage, with the prompt-cache part: {@code prompt_tokens_details.cached_tokens} (OpenAI, vLLM,
   * OpenRouter) or DeepSeek's {@code prompt_cache_hit_tokens}; writes where a server reports them
   * ({@code prompt_tokens_details.cache_write_tokens}, OpenRouter).
   */
  static Usage usage(JsonNode u) {
    long input = Math.max(0, u.path("prompt_tokens").asLong());
    JsonNode details = u.path("prompt_tokens_details");
    long read = details.path("cached_tokens").asLong(u.path("prompt_cache_hit_tokens").asLong());
    long write = details.path("cache_write_tokens").asLong();
    return new Usage(input, Math.max(0, u.path("completion_tokens").asLong()), Math.min(input, Math.max(0, read)),
        Math.min(input, Math.max(0, write)));
  }

  private static String firstNonEmpty(JsonNode a, JsonNode b) {
    String first = a != null && a.isTextual() ? a.asText() : "";
    return !first.isEmpty() ? first : b != null && b.isTextual() ? b.asText() : "";
  }

  /** A part's text: a string, or an array of parts with {@code text}. */
  private static String partText(JsonNode node) {
    if (node == null) {
      return "";
    }
    if (node.isTextual()) {
      return node.asText();
    }
    StringBuilder out = new StringBuilder();
    for (JsonNode n : node) {
      out.append(n.isTextual() ? n.asText() : n.path("text").asText(""));
    }
    return out.toString();
  }

  static FinishReason mapFinishReason(String reason) {
    if (reason == null) {
      return FinishReason.STOP;
    }
    return switch (reason) {
      case "stop", "eos", "end_turn" -> FinishReason.STOP;
      case "tool_calls", "function_call" -> FinishReason.TOOL_CALLS;
      case "length", "max_tokens" -> FinishReason.LENGTH;
      case "content_filter" -> FinishReason.CONTENT_FILTER;
      default -> FinishReason.OTHER;
    };
  }

  private ProviderFailure midStreamError(JsonNode chunk) {
    JsonNode error = chunk.path("error");
    String type = error.isObject() ? error.path("type").asText(error.path("code").asText("")) : "";
    String message = error.isObject() ? error.path("message").asText("") : error.isTextual() ? error.asText() : "";
    if (message.isEmpty()) {
      message = abbreviate(chunk.toString());
    }
    boolean retryable = switch (type) {
      case "server_error", "overloaded_error", "api_error", "rate_limit_error", "rate_limit_exceeded", "timeout" -> true;
      default -> false;
    };
    return new ProviderFailure("openai stream failed mid-response: " + (type.isEmpty() ? "" : type + ": ") + message,
        retryable);
  }

  static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
