package io.chatbuilder.core.runtime;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an app's draft dev server stands.
 *
 * @param previewUrl where the live preview is served while {@link DraftState#RUNNING}
 * @param logTail the last lines of the dev server's output, for the UI
 * @param restarts how often it was restarted after a crash
 */
public record DraftStatus(
    String appId, DraftState state, Optional<String> previewUrl, List<String> logTail, Optional<String> error,
    int restarts, Instant since) {
  public DraftStatus {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(state, "state == null");
    Objects.requireNonNull(previewUrl, "previewUrl == null");
    logTail = List.copyOf(logTail);
    Objects.requireNonNull(error, "error == null");
    Objects.requireNonNull(since, "since == null");
  }
}
