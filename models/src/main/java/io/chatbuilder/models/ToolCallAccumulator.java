package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Collects OpenAI-style streamed tool-call fragments ({@code delta.tool_calls[]}) into whole calls.
 *
 * <p>Real servers disagree on how fragments identify their call, so a fragment is matched in this
 * order: by its {@code id} when it has one (Ollama puts every call at index 0 with distinct ids,
 * some servers repeat the id on each fragment); without an id, to the latest call at its
 * {@code index} (OpenAI's continuation fragments); without either, to the latest call. A new id
 * opens a new call, except that it names a call at the same index that was opened without an id.
 * {@code type} is ignored (some servers send {@code "type":""} on continuations); arguments sent
 * as a JSON object instead of a string are kept as their JSON text.
 *
 * <p>A call is announced to the sink as soon as its name is known, with the id it will keep (the
 * server's, or one generated then if the server sent none yet), and every later argument fragment
 * follows at once, so a UI can show the arguments while the model writes them.
 */
final class ToolCallAccumulator {
  private static final class Slot {
    final Integer index;
    String id;
    String name = "";
    final StringBuilder arguments = new StringBuilder();
    /** The id the call was announced under; fixed from then on. */
    String announcedId;

    Slot(Integer index, String id) {
      this.index = index;
      this.id = id;
    }
  }

  private final List<Slot> slots = new ArrayList<>();
  private final ModelStreamListener sink;

  ToolCallAccumulator(ModelStreamListener sink) {
    this.sink = sink;
  }

  void add(JsonNode fragment) {
    JsonNode indexNode = fragment.get("index");
    Integer index = indexNode != null && indexNode.canConvertToInt() ? indexNode.asInt() : null;
    String id = nonEmptyText(fragment.get("id"));
    Slot slot = find(index, id);
    update(slot, fragment.path("function"));
  }

  /** Adds a legacy {@code delta.function_call} fragment (one call per turn, no id). */
  void addLegacyFunctionCall(JsonNode functionCall) {
    update(slots.isEmpty() ? open(null, null) : slots.get(slots.size() - 1), functionCall);
  }

  private void update(Slot slot, JsonNode function) {
    String name = nonEmptyText(function.get("name"));
    if (name != null && slot.name.isEmpty()) {
      slot.name = name;
    }
    JsonNode arguments = function.get("arguments");
    String piece = "";
    if (arguments != null && !arguments.isNull()) {
      piece = arguments.isTextual() ? arguments.asText() : arguments.toString();
      slot.arguments.append(piece);
    }
    if (slot.announcedId == null) {
      if (!slot.name.isEmpty()) {
        slot.announcedId = slot.id != null ? slot.id : generatedId();
        sink.onToolCallStarted(slot.announcedId, slot.name);
        // what arrived before the name
        sink.onToolInputDelta(slot.announcedId, slot.arguments.toString());
      }
    } else {
      sink.onToolInputDelta(slot.announcedId, piece);
    }
  }

  boolean isEmpty() {
    return slots.isEmpty();
  }

  /**
   * The calls in the order they were opened. A call the server gave no id gets a generated one;
   * empty arguments become {@code {}} unless {@code keepEmptyArguments} (a cut-off turn).
   */
  List<ToolCall> calls(boolean keepEmptyArguments) {
    List<ToolCall> calls = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      String id = slot.announcedId != null ? slot.announcedId : slot.id != null ? slot.id : generatedId();
      String arguments = slot.arguments.toString();
      if (arguments.isBlank() && !keepEmptyArguments) {
        arguments = "{}";
      }
      calls.add(new ToolCall(id, slot.name, arguments));
    }
    return calls;
  }

  private static String generatedId() {
    return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
  }

  private Slot find(Integer index, String id) {
    if (id != null) {
      for (int i = slots.size() - 1; i >= 0; i--) {
        if (id.equals(slots.get(i).id)) {
          return slots.get(i);
        }
      }
      if (index != null) {
        Slot last = latestAt(index);
        if (last != null && last.id == null) {
          last.id = id;
          return last;
        }
      }
      return open(index, id);
    }
    if (index != null) {
      Slot last = latestAt(index);
      return last != null ? last : open(index, null);
    }
    return slots.isEmpty() ? open(null, null) : slots.get(slots.size() - 1);
  }

  private Slot latestAt(int index) {
    for (int i = slots.size() - 1; i >= 0; i--) {
      Slot slot = slots.get(i);
      if (slot.index != null && slot.index == index) {
        return slot;
      }
    }
    return null;
  }

  private Slot open(Integer index, String id) {
    Slot slot = new Slot(index, id);
    slots.add(slot);
    return slot;
  }

  private static String nonEmptyText(JsonNode node) {
    if (node == null || !node.isTextual() || node.asText().isEmpty()) {
      return null;
    }
    return node.asText();
  }
}
