package io.chatbuilder.models;

import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelStreamListener;
import okhttp3.Request;

/** What differs between providers: the request, the stream's events, and the error bodies. */
interface WireProtocol {

  /** A short provider name for messages and logs, such as {@code openai}. */
  String provider();

  Request httpRequest(ModelRequest request);

  TurnParser newTurn(ModelStreamListener sink);

  /** The human-readable message inside an error response body, or the body itself if it has none. */
  String errorMessage(String body);
}
