package io.chatbuilder.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.json.JsonCodec;
import java.util.Optional;

/**
 * The intents ChatBuilder records with an app's lease ({@code LeaseStore.recordIntent}): small JSON
 * objects saying what the holder is doing, read back by the next holder if this one dies. Not API.
 *
 * <pre>
 * {"kind":"run","run_id":"run_x","label":"Add a dark-mode toggle"}
 * {"kind":"history","op":"undo","from_head":"cp_y"}
 * </pre>
 */
final class Intents {
  private static final JsonCodec JSON = new JsonCodec();
  private static final int MAX_LABEL = 200;

  private Intents() {}

  /** A parsed intent; fields a kind does not use are empty strings. */
  record Intent(String kind, String runId, String label, String op, String fromHead, long terminalSeq, String terminal) {
    /** Whether the run had ended (its terminal event handed to the writer) when the intent was recorded. */
    boolean ended() {
      return terminalSeq > 0;
    }

    boolean isRun() {
      return kind.equals("run") && !runId.isEmpty();
    }

    boolean isHistory() {
      return kind.equals("history") && !fromHead.isEmpty();
    }
  }

  static String run(String runId, String label) {
    ObjectNode o = JSON.objectNode();
    o.put("kind", "run");
    o.put("run_id", runId);
    o.put("label", label.length() <= MAX_LABEL ? label : label.substring(0, MAX_LABEL));
    return o.toString();
  }

  /**
   * A run that has ended: its terminal event (when it fits) and seq, recorded before the lease is
   * released, so the next holder can check that the event log got it (the writer stores it a little
   * later) and write it itself if this host died first.
   */
  static String runEnded(String runId, String label, io.chatbuilder.core.event.Event terminal) {
    ObjectNode o = JSON.objectNode();
    o.put("kind", "run");
    o.put("run_id", runId);
    o.put("label", label.length() <= MAX_LABEL ? label : label.substring(0, MAX_LABEL));
    o.put("terminal_seq", terminal.seq());
    String withoutEvent = o.toString();
    o.set("terminal", JSON.toTree(terminal));
    String full = o.toString();
    return full.length() <= io.chatbuilder.core.checkpoint.LeaseIntent.MAX_LENGTH ? full : withoutEvent;
  }

  static String history(CheckpointType type, String fromHeadId) {
    ObjectNode o = JSON.objectNode();
    o.put("kind", "history");
    o.put("op", type.wireName());
    o.put("from_head", fromHeadId);
    return o.toString();
  }

  /** Empty if the text is not an intent of this library (e.g. written by a newer version). */
  static Optional<Intent> parse(String text) {
    JsonNode o = JSON.tryRead(text).orElse(null);
    if (o == null || !o.isObject()) {
      return Optional.empty();
    }
    return Optional.of(new Intent(o.path("kind").asText(""), o.path("run_id").asText(""), o.path("label").asText(""),
        o.path("op").asText(""), o.path("from_head").asText(""), o.path("terminal_seq").asLong(0),
        o.has("terminal") ? o.get("terminal").toString() : ""));
  }
}
