package io.chatbuilder.examples.studio;

import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The studio's fallback draft mode when no Vite runtime is configured: the app's sandbox files are
 * served as they are by the studio itself under {@code /preview/<app>/}, so a draft "starts" at
 * once and needs neither Node nor npm. The UI reloads the preview after each change (Vite would
 * hot-reload it instead).
 */
final class StaticDraftRuntime implements DraftRuntime {
  static final String PREVIEW_PREFIX = "/preview/";

  private final Clock clock;
  private final Map<String, DraftStatus> running = new ConcurrentHashMap<>();

  StaticDraftRuntime(Clock clock) {
    this.clock = clock;
  }

  static String previewPath(String appId) {
    return PREVIEW_PREFIX + appId + "/";
  }

  @Override
  public DraftStatus start(String appId, StatusListener listener) {
    return running.computeIfAbsent(appId, id -> {
      listener.onStatus("serving the app's files as static files");
      return new DraftStatus(id, DraftState.RUNNING, Optional.of(previewPath(id)),
          List.of("static preview of the sandbox files"), Optional.empty(), 0, clock.instant());
    });
  }

  @Override
  public DraftStatus status(String appId) {
    DraftStatus status = running.get(appId);
    return status != null ? status
        : new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, clock.instant());
  }

  @Override
  public void stop(String appId) {
    running.remove(appId);
  }

  @Override
  public void close() {
    running.clear();
  }
}
