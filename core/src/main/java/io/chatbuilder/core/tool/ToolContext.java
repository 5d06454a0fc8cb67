package io.chatbuilder.core.tool;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.Sandbox;

/** What a tool call can use: the app's sandbox, cancellation, and a way to report progress. */
public interface ToolContext {
  String appId();

  String runId();

  String callId();

  Sandbox sandbox();

  Cancellation cancellation();

  /** Emits a {@code status} event, e.g. a line of {@code npm install} output. */
  void status(String message);
}
