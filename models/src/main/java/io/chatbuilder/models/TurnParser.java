package io.chatbuilder.models;

import io.chatbuilder.core.model.ModelResponse;

/** Turns one provider's stream of events into a model turn. One instance per HTTP attempt. */
interface TurnParser {

  /**
   * Handles one event, streaming text to the sink given at creation.
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
}
