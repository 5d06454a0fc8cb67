package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the clients: URLs under {@code /v1/sandboxes/{id}/}, the bearer token, retries
 * of calls whose connection failed, timeouts as {@link TimeoutException}, and error bodies mapped
 * back to the exception types the server threw.
 */
final class Transport {
  private static final Logger log = LoggerFactory.getLogger(Transport.class);
  static final MediaType JSON = MediaType.get("application/json");
  /**
   * 5 attempts, 100 ms doubling (cap 6.4 s = 100 ms * 2^6, reached only with more attempts). Jitter
   * 0.5 ("equal jitter"): clients of a restarting host spread out, yet each keeps at least half of
   * the wait, so the 5 attempts still span a restart of about a second instead of all firing at once.
   */
  static final RetryPolicy DEFAULT_RETRY = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofMillis(6400), 0.5);

  final String id;
  final HttpUrl base;
  final String authorization;
  final OkHttpClient client;
  final Duration callTimeout;
  final RetryPolicy retryPolicy;
  /** The fencing token sent with every mutating request; 0 for none. */
  final long fencingToken;
  private final java.util.concurrent.atomic.AtomicBoolean closed;

  Transport(String baseUrl, String id, String token, OkHttpClient client, Duration callTimeout, RetryPolicy retryPolicy) {
    HttpUrl root = HttpUrl.parse(baseUrl);
    if (root == null) {
      throw new IllegalArgumentException("not an http(s) URL: " + baseUrl);
    }
    this.id = id;
    this.base = root.newBuilder().addPathSegment("v1").addPathSegment("sandboxes").addPathSegment(id).build();
    this.authorization = "Bearer " + token;
    this.client = client;
    this.callTimeout = callTimeout;
    this.retryPolicy = retryPolicy;
    this.fencingToken = 0;
    this.closed = new java.util.concurrent.atomic.AtomicBoolean();
  }

  private Transport(Transport t, long fencingToken) {
    this.id = t.id;
    this.base = t.base;
    this.authorization = t.authorization;
    this.client = t.client;
    this.callTimeout = t.callTimeout;
    this.retryPolicy = t.retryPolicy;
    this.fencingToken = fencingToken;
    this.closed = t.closed; // closing the client closes its fenced views too
  }

  /** The same transport whose mutating requests carry {@code token}. */
  Transport fenced(long token) {
    return new Transport(this, token);
  }

  void close() {
    closed.set(true);
  }

  boolean closed() {
    return closed.get();
  }

  HttpUrl.Builder url(String route) {
    HttpUrl.Builder b = base.newBuilder();
    for (String segment : route.split("/")) {
      b.addPathSegment(segment);
    }
    return b;
  }

  Request get(HttpUrl url) {
    return new Request.Builder().url(url).header("Authorization", authorization).get().build();
  }

  /** A request that changes state: it carries an idempotency key shared by all its retries. */
  Request.Builder mutating(HttpUrl url) {
    Request.Builder b = new Request.Builder().url(url).header("Authorization", authorization)
        .header("Idempotency-Key", UUID.randomUUID().toString());
    if (fencingToken > 0) {
      b.header(Wire.FENCING_TOKEN, Long.toString(fencingToken));
    }
    return b;
  }

  Request post(String route, ObjectNode body) {
    return mutating(url(route).build()).post(RequestBody.create(Wire.bytes(body), JSON)).build();
  }

  /**
   * Executes a call, retrying when the connection fails (the server is restarting, a pooled
   * connection died); never retries a timeout, which becomes {@link TimeoutException}.
   */
  Reply call(String operation, Request request) {
    if (closed()) {
      throw new SandboxException("the remote sandbox client for " + id + " is closed");
    }
    IOException lastFailure = null;
    for (int attempt = 1; ; attempt++) {
      try (Response response = client.newCall(request).execute()) {
        byte[] body = response.body().bytes();
        if (!response.isSuccessful()) {
          throw toException(response.code(), body, operation);
        }
        return new Reply(response.code(), body);
      } catch (InterruptedIOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw new SandboxException("interrupted during " + operation + " on sandbox " + id, e);
        }
        throw new TimeoutException("sandbox host " + base.host() + ":" + base.port() + " did not answer '" + operation
            + "' on sandbox " + id + " within the client's call timeout of " + callTimeout.toMillis() + " ms", e);
      } catch (IOException e) {
        lastFailure = e;
        log.debug("{} on sandbox {} failed (attempt {}/{}): {}", operation, id, attempt, retryPolicy.maxAttempts(),
            e.toString());
        if (!retryPolicy.allowsAnotherAfter(attempt)) {
          throw new SandboxException("sandbox host " + base.host() + ":" + base.port() + " is unreachable: '" + operation
              + "' on sandbox " + id + " failed " + attempt + " times; last error: " + lastFailure, lastFailure);
        }
        pause(attempt);
      }
    }
  }

  /**
   * Waits the policy's backoff after the {@code attempt}-th failure. Not {@link RetryPolicy#sleep}:
   * an interrupt here is a {@link SandboxException}, as it is during the call itself.
   */
  void pause(int attempt) {
    Duration wait = retryPolicy.backoff(attempt, ThreadLocalRandom.current());
    try {
      Thread.sleep(wait.toMillis(), (int) (wait.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while retrying a call to sandbox " + id, e);
    }
  }

  /** Maps a {@code {code, message}} error body back to the exception type the server threw. */
  static ChatBuilderException toException(int status, byte[] body, String operation) {
    try {
      JsonNode o = Wire.readTree(body);
      if (o != null && o.path("code").isTextual() && o.path("message").isTextual()) {
        if (o.get("code").asText().equals(Wire.LEASE_LOST)) {
          return new LeaseLostException(o.get("message").asText());
        }
        return ChatBuilderException.of(ErrorCode.fromWireName(o.get("code").asText()), o.get("message").asText());
      }
    } catch (IOException ignored) {
      // not our JSON: a proxy or a different server answered
    }
    String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    return new SandboxException("sandbox host answered HTTP " + status + " to '" + operation + "' without an error body: " + text);
  }

  /** A successful answer. */
  record Reply(int status, byte[] body) {
    JsonNode json() {
      try {
        return Wire.readTree(body);
      } catch (IOException e) {
        throw new SandboxException("sandbox host sent malformed JSON: " + e.getMessage(), e);
      }
    }
  }
}
