package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import okhttp3.OkHttpClient;

/**
 * Draft mode of sandboxes on a sandbox host: starts, watches and stops the dev server the host
 * runs next to each sandbox (the app id is the sandbox id), and reports the preview URL the host
 * serves. {@link #start} blocks, forwarding the host's progress messages, until the dev server
 * serves or fails.
 *
 * <pre>{@code
 * DraftRuntime drafts = RemoteDraftRuntime.builder("http://sandbox-7:8480", appId -> tokens.get(appId)).build();
 * }</pre>
 */
public final class RemoteDraftRuntime implements DraftRuntime {
  private final String baseUrl;
  private final Function<String, String> tokens;
  private final OkHttpClient client;
  private final boolean ownsClient;
  private final Duration callTimeout;
  private final Duration pollInterval;
  private final Duration startTimeout;
  private final RetryPolicy retryPolicy;
  private final Map<String, Transport> transports = new ConcurrentHashMap<>();
  private final Set<String> started = ConcurrentHashMap.newKeySet();

  private RemoteDraftRuntime(Builder b) {
    this.baseUrl = b.baseUrl;
    this.tokens = b.tokens;
    this.ownsClient = b.client == null;
    this.client = (b.client != null ? b.client : new OkHttpClient()).newBuilder().callTimeout(b.callTimeout).build();
    this.callTimeout = b.callTimeout;
    this.pollInterval = b.pollInterval;
    this.startTimeout = b.startTimeout;
    this.retryPolicy = b.retryPolicy;
  }

  /** A runtime for the host at {@code baseUrl}; {@code tokens} gives the bearer token of each app's sandbox. */
  public static Builder builder(String baseUrl, Function<String, String> tokens) {
    return new Builder(baseUrl, tokens);
  }

  @Override
  public DraftStatus start(String appId, StatusListener listener) {
    Objects.requireNonNull(listener, "listener == null");
    Transport t = transport(appId);
    JsonNode reply = t.call("start draft", t.post("draft/start", Wire.NODES.objectNode())).json();
    started.add(appId);
    long last = reply.path("last_message").asLong();
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (true) {
      JsonNode status = t.call("draft status", t.get(t.url("draft/status")
          .addQueryParameter("after", Long.toString(last)).build())).json();
      for (JsonNode message : status.path("messages")) {
        listener.onStatus(message.asText());
      }
      last = status.path("last_message").asLong(last);
      if (!status.path("start_in_progress").asBoolean()) {
        JsonNode error = status.get("start_error");
        if (error != null && error.isObject()) {
          throw ChatBuilderException.of(ErrorCode.fromWireName(error.path("code").asText()), error.path("message").asText());
        }
        return Wire.draft(status);
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the draft dev server of " + appId + " was still starting after "
            + startTimeout.toSeconds() + " s; it keeps starting on the sandbox host");
      }
      try {
        Thread.sleep(pollInterval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SandboxException("interrupted while waiting for the draft dev server of " + appId, e);
      }
    }
  }

  @Override
  public DraftStatus status(String appId) {
    Transport t = transport(appId);
    return Wire.draft(t.call("draft status", t.get(t.url("draft/status").build())).json());
  }

  @Override
  public void stop(String appId) {
    Transport t = transport(appId);
    t.call("stop draft", t.post("draft/stop", Wire.NODES.objectNode()));
    started.remove(appId);
  }

  /** Stops the dev servers this runtime started. */
  @Override
  public void close() {
    for (String appId : Set.copyOf(started)) {
      try {
        stop(appId);
      } catch (ChatBuilderException e) {
        // best effort: the host stops dev servers of removed sandboxes itself
      }
    }
    transports.values().forEach(Transport::close);
    if (ownsClient) {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  private Transport transport(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transports.computeIfAbsent(appId, id -> new Transport(baseUrl, id,
        Objects.requireNonNull(tokens.apply(id), "no token for app " + id), client, callTimeout,
        retryPolicy));
  }

  /** Configures a {@link RemoteDraftRuntime}. */
  public static final class Builder {
    private final String baseUrl;
    private final Function<String, String> tokens;
    private OkHttpClient client;
    private Duration callTimeout = Duration.ofSeconds(30);
    private Duration pollInterval = Duration.ofMillis(250);
    private Duration startTimeout = Duration.ofMinutes(15);
    private RetryPolicy retryPolicy = Transport.DEFAULT_RETRY;

    private Builder(String baseUrl, Function<String, String> tokens) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl == null");
      this.tokens = Objects.requireNonNull(tokens, "tokens == null");
    }

    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client == null");
      return this;
    }

    public Builder callTimeout(Duration timeout) {
      this.callTimeout = Objects.requireNonNull(timeout, "timeout == null");
      return this;
    }

    /** How often {@link #start} asks the host for progress; default 250 ms. */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = Objects.requireNonNull(interval, "interval == null");
      return this;
    }

    /** Longest {@link #start} waits (npm install included); default 15 minutes. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout == null");
      return this;
    }

    /** How a call whose connection failed is tried again; default as {@link RemoteSandbox.Builder#retryPolicy}. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy == null");
      return this;
    }

    public RemoteDraftRuntime build() {
      return new RemoteDraftRuntime(this);
    }
  }
}
