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
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.model.Reasoning;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Anthropic Messages API with {@code stream: true}: text, tool use, extended thinking, prompt
 * caching, and turns paused by server tools.
 */
final class AnthropicProtocol implements WireProtocol {
  private static final Logger LOG = LoggerFactory.getLogger(AnthropicProtocol.class);
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  /**
   * What the client asks of the API.
   *
   * @param thinkingBudget extended thinking's {@code budget_tokens}; 0 = thinking off
   * @param promptCaching whether to mark cache breakpoints (system prompt, last tool, conversation)
   */
  record Options(int thinkingBudget, boolean promptCaching) {}

  private final Json json = new Json();
  private final HttpUrl endpoint;
  private final String model;
  private final String apiKey;
  private final String version;
  private final Map<String, String> headers;
  private final int defaultMaxOutputTokens;
  private final Options options;

  AnthropicProtocol(HttpUrl endpoint, String model, String apiKey, String version, Map<String, String> headers,
      int defaultMaxOutputTokens, Options options) {
    this.endpoint = endpoint;
    this.model = model;
    this.apiKey = apiKey;
    this.version = version;
    this.headers = Map.copyOf(headers);
    this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    this.options = options;
  }

  @Override
  public String provider() {
    return "anthropic";
  }

  @Override
  public Request httpRequest(ModelRequest request) {
    return httpRequest(body(request, List.of()));
  }

  @Override
  public Request continuationRequest(ModelRequest request, List<JsonNode> assistantContent) {
    return httpRequest(body(request, assistantContent));
  }

  private Request httpRequest(ObjectNode body) {
    Request.Builder builder = new Request.Builder()
        .url(endpoint)
        .header("Accept", "text/event-stream")
        .header("anthropic-version", version)
        .post(RequestBody.create(json.write(body), JSON));
    if (apiKey != null && !apiKey.isEmpty()) {
      builder.header("x-api-key", apiKey);
    }
    headers.forEach(builder::header);
    return builder.build();
  }

  ObjectNode body(ModelRequest request) {
    return body(request, List.of());
  }

  /**
   * The request body; {@code prefill} (the content of a paused turn) goes last as an assistant
   * message so the model continues it.
   */
  ObjectNode body(ModelRequest request, List<JsonNode> prefill) {
    ObjectNode body = json.object();
    body.put("model", model);
    int maxTokens = request.maxOutputTokens().orElse(defaultMaxOutputTokens);
    boolean thinking = options.thinkingBudget() > 0 && thinkingApplies(request.messages());
    if (thinking && maxTokens <= options.thinkingBudget()) {
      throw new InvalidArgumentException("max_tokens (" + maxTokens + ") must be larger than the thinking budget ("
          + options.thinkingBudget() + "): raise the output token limit or lower the budget");
    }
    body.put("max_tokens", maxTokens);
    body.put("stream", true);
    if (thinking) {
      body.putObject("thinking").put("type", "enabled").put("budget_tokens", options.thinkingBudget());
    }
    if (!request.systemPrompt().isEmpty()) {
      if (options.promptCaching()) {
        ObjectNode system = body.putArray("system").addObject().put("type", "text").put("text", request.systemPrompt());
        cacheBreakpoint(system);
      } else {
        body.put("system", request.systemPrompt());
      }
    }
    ArrayNode messages = body.putArray("messages");
    // Tool results, notes and user text are all user-side content; consecutive ones form one user
    // message, with tool_result blocks first as the API requires.
    List<ObjectNode> pendingResults = new ArrayList<>();
    List<ObjectNode> pendingText = new ArrayList<>();
    for (ChatMessage message : request.messages()) {
      if (message instanceof ChatMessage.Assistant m) {
        ArrayNode content = json.object().putArray("content");
        if (thinking) {
          // With thinking on, a turn that called tools must start with its thinking blocks, unchanged.
          for (Reasoning r : m.reasoning()) {
            if (r instanceof Reasoning.Text t && !t.signature().isEmpty()) {
              content.addObject().put("type", "thinking").put("thinking", t.text()).put("signature", t.signature());
            } else if (r instanceof Reasoning.Redacted red) {
              content.addObject().put("type", "redacted_thinking").put("data", red.data());
            }
          }
        }
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
        // Images first, then the text, as Anthropic's vision guide recommends; base64 as attached.
        for (Attachment.Image image : m.images()) {
          ObjectNode block = json.object().put("type", "image");
          block.putObject("source").put("type", "base64").put("media_type", image.mediaType()).put("data", image.data());
          pendingText.add(block);
        }
        pendingText.add(json.object().put("type", "text").put("text", m.textWithContext()));
      } else if (message instanceof ChatMessage.Note m) {
        pendingText.add(json.object().put("type", "text").put("text", OpenAiProtocol.NOTE_PREFIX + m.text()));
      }
    }
    flushUser(messages, pendingResults, pendingText);
    if (options.promptCaching()) {
      // The conversation so far is the prefix the next request repeats: cache up to its last user block.
      for (int i = messages.size() - 1; i >= 0; i--) {
        JsonNode m = messages.get(i);
        if (m.path("role").asText().equals("user") && m.path("content").size() > 0) {
          cacheBreakpoint((ObjectNode) m.get("content").get(m.get("content").size() - 1));
          break;
        }
      }
    }
    if (!prefill.isEmpty()) {
      ArrayNode content = messages.addObject().put("role", "assistant").putArray("content");
      prefill.forEach(block -> content.add(block.deepCopy()));
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolDefinition tool : request.tools()) {
        tools.addObject().put("name", tool.name()).put("description", tool.description())
            .set("input_schema", tool.parameters());
      }
      if (options.promptCaching()) {
        cacheBreakpoint((ObjectNode) tools.get(tools.size() - 1));
      }
    }
    return body;
  }

  private static void cacheBreakpoint(ObjectNode block) {
    block.putObject("cache_control").put("type", "ephemeral");
  }

  /**
   * Whether thinking can be on for this request. Inside a tool loop (the latest assistant turn
   * called tools and no person spoke since) the API wants that turn to start with signed thinking;
   * a turn made without thinking (it was off, or another model wrote it) has none, so that loop
   * goes on without thinking rather than failing. The next message of the person turns it back on.
   */
  private static boolean thinkingApplies(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      ChatMessage m = messages.get(i);
      if (m instanceof ChatMessage.User || m instanceof ChatMessage.Note) {
        return true;
      }
      if (m instanceof ChatMessage.Assistant a) {
        if (a.toolCalls().isEmpty()) {
          return true;
        }
        boolean signed = a.reasoning().stream().anyMatch(r -> r instanceof Reasoning.Redacted
            || r instanceof Reasoning.Text t && !t.signature().isEmpty());
        if (!signed) {
          LOG.debug("thinking is off for this request: the tool loop began without it");
        }
        return signed;
      }
    }
    return true;
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
    /** Content blocks by index, in the order of the final message's content. */
    private final Map<Integer, Block> blocks = new TreeMap<>();
    private String stopReason;
    private long inputTokens;
    private long cacheReadTokens;
    private long cacheWriteTokens;
    private long outputTokens;
    private List<JsonNode> paused = List.of();

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
        case "content_block_start" -> start(e.path("index").asInt(), e.path("content_block"));
        case "content_block_delta" -> {
          int index = e.path("index").asInt();
          Block block = blocks.get(index);
          if (block == null) {
            // A block that never started (a proxy dropped the start): text and thinking still count.
            block = switch (e.path("delta").path("type").asText()) {
              case "text_delta" -> new TextBlock();
              case "thinking_delta" -> new ThinkingBlock("");
              default -> null;
            };
            if (block == null) {
              LOG.debug("anthropic sent a delta for content block {}, which never started; skipped", index);
              return false;
            }
            blocks.put(index, block);
          }
          block.delta(e.path("delta"));
        }
        case "content_block_stop" -> {
          Block block = blocks.get(e.path("index").asInt());
          if (block != null) {
            block.stop();
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

    private void start(int index, JsonNode block) {
      String blockType = block.path("type").asText("");
      Block b = switch (blockType) {
        case "text" -> new TextBlock();
        case "thinking" -> new ThinkingBlock(block.path("signature").asText(""));
        case "redacted_thinking" -> new RedactedBlock(block);
        case "tool_use" -> new ToolBlock(block);
        // server_tool_use, web_search_tool_result, mcp_tool_use, mcp_tool_result and types added
        // later: not for this client to run or show, but kept to send back if the turn pauses
        default -> new OtherBlock(block);
      };
      blocks.put(index, b);
      if (b instanceof TextBlock t) {
        t.append(block.path("text").asText(""));
      } else if (b instanceof ThinkingBlock t) {
        t.append(block.path("thinking").asText(""));
      }
    }

    private void readUsage(JsonNode usage) {
      if (!usage.isObject()) {
        return;
      }
      if (usage.has("input_tokens")) {
        cacheWriteTokens = Math.max(0, usage.path("cache_creation_input_tokens").asLong());
        cacheReadTokens = Math.max(0, usage.path("cache_read_input_tokens").asLong());
        inputTokens = Math.max(0, usage.path("input_tokens").asLong()) + cacheWriteTokens + cacheReadTokens;
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
      StringBuilder text = new StringBuilder();
      List<ToolCall> calls = new ArrayList<>();
      List<Reasoning> reasoning = new ArrayList<>();
      for (Block block : blocks.values()) {
        if (block instanceof TextBlock t) {
          text.append(t.text);
        } else if (block instanceof ThinkingBlock t) {
          reasoning.add(new Reasoning.Text(t.thinking.toString(), t.signature.toString()));
        } else if (block instanceof RedactedBlock r) {
          reasoning.add(new Reasoning.Redacted(r.data));
        } else if (block instanceof ToolBlock tool) {
          String arguments = tool.arguments();
          if (!tool.complete && reason != FinishReason.LENGTH) {
            reason = FinishReason.LENGTH; // a tool_use block never closed: its input is cut off
          }
          calls.add(new ToolCall(tool.id, tool.name, arguments.isBlank() && reason != FinishReason.LENGTH ? "{}" : arguments));
        }
      }
      if (!calls.isEmpty() && reason == FinishReason.STOP) {
        reason = FinishReason.TOOL_CALLS;
      }
      if ("pause_turn".equals(stopReason)) {
        List<JsonNode> content = new ArrayList<>();
        for (Block block : blocks.values()) {
          block.wire().ifPresent(content::add);
        }
        paused = List.copyOf(content);
      }
      return new ModelResponse(text.toString(), calls, reason,
          new Usage(inputTokens, Math.max(0, outputTokens), Math.min(inputTokens, cacheReadTokens),
              Math.min(inputTokens, cacheWriteTokens)), reasoning);
    }

    @Override
    public List<JsonNode> pausedContent() {
      return paused;
    }

    /** A content block being streamed. */
    private abstract class Block {
      boolean complete;

      void delta(JsonNode delta) {
        // deltas this block does not take (citations_delta, types added later) are skipped
      }

      void stop() {
        complete = true;
      }

      /** The block as it goes back to the API when a paused turn continues; empty to leave it out. */
      abstract Optional<JsonNode> wire();
    }

    private final class TextBlock extends Block {
      final StringBuilder text = new StringBuilder();

      void append(String delta) {
        if (!delta.isEmpty()) {
          text.append(delta);
          sink.onTextDelta(delta);
        }
      }

      @Override
      void delta(JsonNode delta) {
        if (delta.path("type").asText().equals("text_delta")) {
          append(delta.path("text").asText(""));
        }
      }

      @Override
      Optional<JsonNode> wire() {
        // the API rejects empty text blocks
        return text.length() == 0 ? Optional.empty()
            : Optional.of(json.object().put("type", "text").put("text", text.toString()));
      }
    }

    private final class ThinkingBlock extends Block {
      final StringBuilder thinking = new StringBuilder();
      final StringBuilder signature = new StringBuilder();

      ThinkingBlock(String signature) {
        this.signature.append(signature);
      }

      void append(String delta) {
        if (!delta.isEmpty()) {
          thinking.append(delta);
          sink.onReasoningDelta(delta);
        }
      }

      @Override
      void delta(JsonNode delta) {
        switch (delta.path("type").asText()) {
          case "thinking_delta" -> append(delta.path("thinking").asText(""));
          case "signature_delta" -> signature.append(delta.path("signature").asText(""));
          default -> {
          }
        }
      }

      @Override
      Optional<JsonNode> wire() {
        return Optional.of(json.object().put("type", "thinking").put("thinking", thinking.toString())
            .put("signature", signature.toString()));
      }
    }

    private final class RedactedBlock extends Block {
      final String data;
      final JsonNode start;

      RedactedBlock(JsonNode start) {
        this.start = start.deepCopy();
        this.data = start.path("data").asText("");
      }

      @Override
      Optional<JsonNode> wire() {
        return Optional.of(start);
      }
    }

    /** A tool_use block: streamed to the sink as the model writes its input. */
    private final class ToolBlock extends Block {
      final String id;
      final String name;
      final String startInput;
      final StringBuilder partial = new StringBuilder();

      ToolBlock(JsonNode start) {
        this.id = start.path("id").asText("");
        this.name = start.path("name").asText("");
        JsonNode input = start.get("input");
        this.startInput = input != null && input.isObject() && !input.isEmpty() ? json.write(input) : "";
        sink.onToolCallStarted(id, name);
      }

      @Override
      void delta(JsonNode delta) {
        if (delta.path("type").asText().equals("input_json_delta")) {
          String fragment = delta.path("partial_json").asText("");
          partial.append(fragment);
          sink.onToolInputDelta(id, fragment);
        }
      }

      @Override
      void stop() {
        super.stop();
        if (partial.length() == 0 && !startInput.isEmpty()) {
          sink.onToolInputDelta(id, startInput); // the input came whole with the block's start
        }
      }

      String arguments() {
        return partial.length() > 0 ? partial.toString() : startInput;
      }

      @Override
      Optional<JsonNode> wire() {
        ObjectNode block = json.object().put("type", "tool_use").put("id", id).put("name", name);
        block.set("input", json.argumentsObject(arguments()));
        return Optional.of(block);
      }
    }

    /**
     * A block this client does not use. Its {@code input_json_delta} fragments (server and MCP
     * tool calls stream them like client tools) are collected only to send the block back whole.
     */
    private final class OtherBlock extends Block {
      final ObjectNode start;
      final StringBuilder partial = new StringBuilder();

      OtherBlock(JsonNode start) {
        this.start = start.isObject() ? (ObjectNode) start.deepCopy() : json.object();
      }

      @Override
      void delta(JsonNode delta) {
        if (delta.path("type").asText().equals("input_json_delta")) {
          partial.append(delta.path("partial_json").asText(""));
        }
      }

      @Override
      Optional<JsonNode> wire() {
        if (partial.length() > 0) {
          json.tryParse(partial.toString()).filter(JsonNode::isObject).ifPresent(input -> start.set("input", input));
        }
        return Optional.of(start);
      }
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
      // only when continuing it failed; a paused turn is otherwise continued by the engine
      case "pause_turn" -> FinishReason.OTHER;
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
}
