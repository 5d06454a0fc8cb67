package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelStreamListener;
import java.util.List;
import okhttp3.Request;

/** What differs between providers: the request, the stream's events, and the error bodies. */
interface WireProtocol {

  /** A short provider name for messages and logs, such as {@code openai}. */
  String provider();

  Request httpRequest(ModelRequest request);

  /**
   * The request that continues a paused turn: {@code request} followed by an assistant message
   * holding {@code assistantContent} (see {@link TurnParser#pausedContent()}).
   */
  default Request continuationRequest(ModelRequest request, List<JsonNode> assistantContent) {
    throw new UnsupportedOperationException(provider() + " does not pause turns");
  }

  TurnParser newTurn(ModelStreamListener sink);

  /** The human-readable message inside an error response body, or the body itself if it has none. */
  String errorMessage(String body);
}
