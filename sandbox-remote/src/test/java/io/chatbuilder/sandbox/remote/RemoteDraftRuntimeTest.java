package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Draft mode over the protocol: start with progress, preview URL, status, stop, failures. */
class RemoteDraftRuntimeTest {
  private final String token = SandboxRegistry.newToken();
  private final String otherToken = SandboxRegistry.newToken();
  private final SandboxRegistry registry = new SandboxRegistry();
  private final FakeDraftRuntime hostRuntime = new FakeDraftRuntime();
  private SandboxServer server;
  private RemoteDraftRuntime drafts;

  private void start(boolean withRuntime) {
    registry.register(InMemorySandbox.builder("shop").build(), token);
    registry.register(InMemorySandbox.builder("broken").build(), token + "-broken");
    registry.register(InMemorySandbox.builder("crash").build(), token + "-crash");
    registry.register(InMemorySandbox.builder("other").build(), otherToken);
    SandboxServer.Builder b = SandboxServer.builder(registry);
    server = (withRuntime ? b.draftRuntime(hostRuntime) : b).start();
    drafts = RemoteDraftRuntime.builder(server.url(), appId -> appId.equals("shop") ? token : token + "-" + appId)
        .pollInterval(Duration.ofMillis(20)).build();
  }

  @AfterEach
  void stop() {
    drafts.close();
    server.close();
  }

  @Test
  void startForwardsProgressAndReportsThePreviewUrlThenStops() {
    start(true);
    assertThat(drafts.status("shop").state()).isEqualTo(DraftState.STOPPED);
    List<String> progress = new CopyOnWriteArrayList<>();
    DraftStatus running = drafts.start("shop", progress::add);
    assertThat(progress).containsExactly("installing dependencies", "starting vite");
    assertThat(running.state()).isEqualTo(DraftState.RUNNING);
    assertThat(running.previewUrl()).contains("http://sandbox-host.example:5173/shop/");
    assertThat(running.logTail()).containsExactly("VITE ready");
    assertThat(drafts.status("shop")).isEqualTo(running);
    drafts.stop("shop");
    assertThat(drafts.status("shop").state()).isEqualTo(DraftState.STOPPED);
    assertThat(hostRuntime.stops).containsExactly("shop");
  }

  @Test
  void aFailedStartIsAStatusAndAThrownOneTheSameException() {
    start(true);
    DraftStatus failed = drafts.start("broken", StatusListener.NONE);
    assertThat(failed.state()).isEqualTo(DraftState.FAILED);
    assertThat(failed.error()).contains("vite exited with code 1");
    assertThatThrownBy(() -> drafts.start("crash", StatusListener.NONE))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("npm install failed");
  }

  @Test
  void withoutARuntimeDraftEndpointsSaySo() {
    start(false);
    assertThatThrownBy(() -> drafts.start("shop", StatusListener.NONE))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("no draft runtime on this sandbox host");
  }

  @Test
  void draftEndpointsNeedTheSandboxToken() {
    start(true);
    try (RemoteDraftRuntime wrong = RemoteDraftRuntime.builder(server.url(), appId -> otherToken).build()) {
      assertThatThrownBy(() -> wrong.start("shop", StatusListener.NONE))
          .isInstanceOfSatisfying(ChatBuilderException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
    }
    assertThat(hostRuntime.statuses).doesNotContainKey("shop");
  }

  /** A host runtime that answers like a Vite one, without Vite. */
  static final class FakeDraftRuntime implements DraftRuntime {
    final Map<String, DraftStatus> statuses = new ConcurrentHashMap<>();
    final List<String> stops = new CopyOnWriteArrayList<>();

    @Override
    public DraftStatus start(String appId, StatusListener listener) {
      if (appId.equals("crash")) {
        throw new SandboxException("npm install failed: ENOTFOUND registry.npmjs.org");
      }
      listener.onStatus("installing dependencies");
      listener.onStatus("starting vite");
      DraftStatus status = appId.equals("broken")
          ? new DraftStatus(appId, DraftState.FAILED, Optional.empty(), List.of("error"), Optional.of("vite exited with code 1"), 0, Instant.EPOCH)
          : new DraftStatus(appId, DraftState.RUNNING, Optional.of("http://sandbox-host.example:5173/" + appId + "/"),
              List.of("VITE ready"), Optional.empty(), 0, Instant.parse("2026-01-02T03:04:05Z"));
      statuses.put(appId, status);
      return status;
    }

    @Override
    public DraftStatus status(String appId) {
      return statuses.getOrDefault(appId,
          new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, Instant.EPOCH));
    }

    @Override
    public void stop(String appId) {
      stops.add(appId);
      statuses.remove(appId);
    }

    @Override
    public void close() {}
  }
}
