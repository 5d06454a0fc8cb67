package io.chatbuilder.core.tool;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.sandbox.Sandbox;
import java.util.Map;

/** What a tool call can use: the app's sandbox, cancellation, who the run is for, and a way to report progress. */
public interface ToolContext {
  String appId();

  String runId();

  String callId();

  Sandbox sandbox();

  Cancellation cancellation();

  /** Who the run is for: the principal of its {@link io.chatbuilder.core.RunRequest} (anonymous by default). */
  default AppPrincipal principal() {
    return AppPrincipal.ANONYMOUS;
  }

  /** The host's attributes of the run ({@link io.chatbuilder.core.RunRequest#attributes()}); empty by default. */
  default Map<String, String> attributes() {
    return Map.of();
  }

  /** Emits a {@code status} event, e.g. a line of {@code npm install} output. */
  void status(String message);
}
