package io.chatbuilder.sandbox.kubernetes;

import io.chatbuilder.core.sandbox.FencedSandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.util.Objects;

/**
 * The sandbox {@link KubernetesSandboxProvider#open} returns. Unfenced calls go to the current
 * binding and fail once its claim is gone; {@link #fenced} (a new lease: a run or a history
 * operation) claims again first if the claim is gone, so a run that lost its sandbox fails and
 * the next one gets a new sandbox.
 */
final class ClaimedSandbox extends BoundSandbox {
  private final KubernetesSandboxProvider provider;
  private final String appId;
  private volatile KubernetesSandboxProvider.Binding current;
  private volatile boolean closed;

  ClaimedSandbox(KubernetesSandboxProvider provider, String appId, KubernetesSandboxProvider.Binding binding) {
    this.provider = provider;
    this.appId = appId;
    this.current = binding;
  }

  @Override
  public String id() {
    return appId;
  }

  @Override
  KubernetesSandboxProvider.Binding binding() {
    checkOpen();
    return live(current);
  }

  @Override
  Sandbox target(KubernetesSandboxProvider.Binding b) {
    return b.remote;
  }

  @Override
  void verify(KubernetesSandboxProvider.Binding b) {
    provider.verify(b);
  }

  /** The binding for draft mode: like a new lease, it claims again if the claim is gone. */
  synchronized KubernetesSandboxProvider.Binding bindingForNewUse() {
    checkOpen();
    KubernetesSandboxProvider.Binding b = current;
    if (b.lost) {
      b.close();
      b = provider.bind(appId);
      current = b;
    }
    return b;
  }

  @Override
  public Sandbox fenced(long token) {
    FencedSandbox.checkToken(token);
    KubernetesSandboxProvider.Binding b = bindingForNewUse();
    provider.renew(b);
    return new FencedView(this, b, b.remote.fenced(token));
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    provider.closed(this, current);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the sandbox of app " + appId + " is closed");
    }
  }

  /** A fenced view bound to the claim it was made on: it never moves to a new claim. */
  static final class FencedView extends BoundSandbox {
    private final ClaimedSandbox owner;
    private final KubernetesSandboxProvider.Binding binding;
    private final Sandbox fenced;

    FencedView(ClaimedSandbox owner, KubernetesSandboxProvider.Binding binding, Sandbox fenced) {
      this.owner = owner;
      this.binding = binding;
      this.fenced = Objects.requireNonNull(fenced, "fenced == null");
    }

    @Override
    public String id() {
      return owner.id();
    }

    @Override
    KubernetesSandboxProvider.Binding binding() {
      return live(binding);
    }

    @Override
    Sandbox target(KubernetesSandboxProvider.Binding b) {
      return fenced;
    }

    @Override
    void verify(KubernetesSandboxProvider.Binding b) {
      owner.verify(b);
    }

    @Override
    public Sandbox fenced(long token) {
      return owner.fenced(token);
    }

    /** Closing a view closes nothing. */
    @Override
    public void close() {}
  }
}
