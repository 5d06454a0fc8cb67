package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.internal.SseEvent;
import io.chatbuilder.core.model.ModelResponse;
import java.util.List;

/** Turns one provider's stream of events into a model turn. One instance per HTTP attempt. */
interface TurnParser {

  /**
   * Handles one event, streaming text, reasoning and tool input to the sink given at creation.
   *
   * @return true when the event ends the stream (nothing after it is read)
   * @throws io.chatbuilder.core.ModelException for an error event or an unusable chunk
   */
  boolean onEvent(SseEvent event);

  /**
   * The completed turn.
   *
   * @param ended whether the stream's terminal event arrived; if not, the stream was cut off
   */
  ModelResponse finish(boolean ended);

  /**
   * When the provider paused the turn (Anthropic {@code pause_turn}): the assistant content so far,
   * every block as received, to send back so the model continues. Empty when the turn is complete.
   * Valid after {@link #finish}.
   */
  default List<JsonNode> pausedContent() {
    return List.of();
  }
}
