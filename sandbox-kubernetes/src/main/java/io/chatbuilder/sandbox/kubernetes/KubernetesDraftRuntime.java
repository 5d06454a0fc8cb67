package io.chatbuilder.sandbox.kubernetes;

import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.sandbox.remote.RemoteDraftRuntime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Draft mode on claimed sandboxes: sandbox-remote's {@link RemoteDraftRuntime} against the pod of
 * the app's claim; preview URLs rewritten to the sandbox's service or the configured ingress host.
 */
final class KubernetesDraftRuntime implements DraftRuntime {
  private final KubernetesSandboxProvider provider;
  private final Map<KubernetesSandboxProvider.Binding, RemoteDraftRuntime> clients = new ConcurrentHashMap<>();

  KubernetesDraftRuntime(KubernetesSandboxProvider provider) {
    this.provider = provider;
  }

  @Override
  public DraftStatus start(String appId, StatusListener listener) {
    Objects.requireNonNull(listener, "listener == null");
    KubernetesSandboxProvider.Binding b = provider.sandboxForDraft(appId, true).bindingForNewUse();
    return rewrite(b, client(b).start(appId, listener));
  }

  @Override
  public DraftStatus status(String appId) {
    ClaimedSandbox s = provider.sandboxForDraft(appId, false);
    if (s == null) {
      return new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, Instant.now());
    }
    KubernetesSandboxProvider.Binding b = s.binding();
    return rewrite(b, client(b).status(appId));
  }

  @Override
  public void stop(String appId) {
    ClaimedSandbox s = provider.sandboxForDraft(appId, false);
    if (s != null) {
      KubernetesSandboxProvider.Binding b = s.binding();
      client(b).stop(appId);
    }
    provider.releaseDraftHold(appId);
  }

  private RemoteDraftRuntime client(KubernetesSandboxProvider.Binding b) {
    for (KubernetesSandboxProvider.Binding old : List.copyOf(clients.keySet())) {
      if (old.lost) {
        Optional.ofNullable(clients.remove(old)).ifPresent(RemoteDraftRuntime::close);
      }
    }
    return clients.computeIfAbsent(b, x -> RemoteDraftRuntime.builder(x.baseUrl, id -> x.token)
        .client(provider.http()).retryPolicy(provider.retryPolicy()).build());
  }

  private DraftStatus rewrite(KubernetesSandboxProvider.Binding b, DraftStatus s) {
    return new DraftStatus(s.appId(), s.state(), s.previewUrl().map(u -> provider.previewUrl(b, u)), s.logTail(), s.error(),
        s.restarts(), s.since());
  }

  void closeClients() {
    clients.values().forEach(RemoteDraftRuntime::close);
    clients.clear();
  }

  /** Stops the dev servers this runtime started. */
  @Override
  public void close() {
    closeClients();
  }
}
