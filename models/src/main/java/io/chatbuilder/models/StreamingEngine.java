package io.chatbuilder.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ModelException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.internal.SseEvent;
import io.chatbuilder.core.internal.SseReader;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.model.ToolCall;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one model turn over HTTP for any {@link WireProtocol}: sends the request, reads the event
 * stream, closes the connection on cancel, retries failures while nothing reached the caller, and
 * continues a turn the provider paused.
 */
final class StreamingEngine {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingEngine.class);
  private static final long MAX_ERROR_BODY = 64 * 1024;
  /** Continuations of one paused turn before it is given up: a server-tool loop that never ends. */
  static final int MAX_CONTINUATIONS = 10;

  private final OkHttpClient client;
  private final WireProtocol protocol;
  private final RetryPolicy retryPolicy;
  private final Duration maxRetryAfter;
  private final Duration idleTimeout;
  private final long maxLineBytes;
  private final Redactor redactor;
  private final Sleeper sleeper;
  private final Clock clock;
  /** Null for {@link ThreadLocalRandom} of the calling thread. */
  private final RandomGenerator random;

  StreamingEngine(OkHttpClient client, WireProtocol protocol, RetryPolicy retryPolicy, Duration maxRetryAfter,
      Duration idleTimeout, long maxLineBytes, Redactor redactor, Sleeper sleeper, Clock clock, RandomGenerator random) {
    this.client = client;
    this.protocol = protocol;
    this.retryPolicy = retryPolicy;
    this.maxRetryAfter = maxRetryAfter;
    this.idleTimeout = idleTimeout;
    this.maxLineBytes = maxLineBytes;
    this.redactor = redactor;
    this.sleeper = sleeper;
    this.clock = clock;
    this.random = random;
  }

  ModelResponse stream(ModelRequest request, ModelStreamListener listener, Cancellation cancellation) {
    Objects.requireNonNull(request, "request == null");
    Objects.requireNonNull(listener, "listener == null");
    Objects.requireNonNull(cancellation, "cancellation == null");
    Request httpRequest = protocol.httpRequest(request);
    ModelResponse merged = null;
    List<JsonNode> content = new ArrayList<>();
    for (int continuation = 0; ; continuation++) {
      Attempt attempt = withRetries(httpRequest, listener, cancellation);
      merged = merged == null ? attempt.response() : merge(merged, attempt.response());
      if (attempt.pausedContent().isEmpty()) {
        return merged;
      }
      // The provider paused a long turn (server tools): send what it wrote so far back, and it goes on.
      if (continuation + 1 >= MAX_CONTINUATIONS) {
        throw new ModelException(protocol.provider() + " paused the turn " + MAX_CONTINUATIONS
            + " times in a row; giving up on it", false);
      }
      content.addAll(attempt.pausedContent());
      LOG.debug("{} paused the turn; continuing ({} content blocks so far)", protocol.provider(), content.size());
      httpRequest = protocol.continuationRequest(request, content);
    }
  }

  /** One request to the end of its stream, retried while nothing reached the caller. */
  private Attempt withRetries(Request httpRequest, ModelStreamListener listener, Cancellation cancellation) {
    for (int retry = 0; ; retry++) {
      cancellation.throwIfCancelled();
      DeliveryTracker tracker = new DeliveryTracker(listener);
      try {
        return attempt(httpRequest, tracker, cancellation);
      } catch (ModelException e) {
        if (cancellation.isCancelled()) {
          throw new CancelledException("model stream cancelled");
        }
        if (!e.retryable() || tracker.delivered) {
          throw sanitized(e);
        }
        if (!retryPolicy.allowsAnotherAfter(retry + 1)) {
          throw retry == 0 ? sanitized(e)
              : new ModelException(redactor.redact(e.getMessage()) + " (gave up after " + (retry + 1) + " attempts)", true, sanitized(e));
        }
        Optional<Duration> hint = e instanceof ProviderFailure f ? f.retryAfter() : Optional.empty();
        if (hint.isPresent() && hint.get().compareTo(maxRetryAfter) > 0) {
          throw new ModelException(redactor.redact(e.getMessage()) + " (the provider asked to retry after " + hint.get().toMillis()
              + " ms, more than the configured maximum of " + maxRetryAfter.toMillis() + " ms)", true, sanitized(e));
        }
        Duration delay = hint.isPresent() ? hint.get()
            : retryPolicy.backoff(retry + 1, random != null ? random : ThreadLocalRandom.current());
        LOG.warn("{} request failed ({}); retry {} of {} in {} ms", protocol.provider(), redactor.redact(e.getMessage()), retry + 1,
            retryPolicy.maxAttempts() - 1, delay.toMillis());
        sleeper.sleep(delay, cancellation);
      }
    }
  }

  /** A paused turn and its continuation are one turn to the caller. */
  private static ModelResponse merge(ModelResponse a, ModelResponse b) {
    List<ToolCall> calls = new ArrayList<>(a.toolCalls());
    calls.addAll(b.toolCalls());
    List<Reasoning> reasoning = new ArrayList<>(a.reasoning());
    reasoning.addAll(b.reasoning());
    return new ModelResponse(a.text() + b.text(), calls, b.finishReason(), a.usage().plus(b.usage()), reasoning);
  }

  private record Attempt(ModelResponse response, List<JsonNode> pausedContent) {}

  /** The exception with any secret removed from its message (providers sometimes echo a key back). */
  private ModelException sanitized(ModelException e) {
    String message = redactor.redact(e.getMessage());
    return message.equals(e.getMessage()) ? e : new ModelException(message, e.retryable());
  }

  private Attempt attempt(Request httpRequest, DeliveryTracker tracker, Cancellation cancellation) {
    Call call = client.newCall(httpRequest);
    try (Cancellation.Registration ignored = cancellation.onCancel(call::cancel)) {
      try (Response response = call.execute()) {
        if (!response.isSuccessful()) {
          throw httpFailure(response);
        }
        String contentType = response.header("Content-Type", "");
        if (contentType.contains("json")) {
          // A server that ignored stream:true, or a proxy answering for it: not an event stream.
          String message = redactor.redact(protocol.errorMessage(response.peekBody(MAX_ERROR_BODY).string())).strip();
          throw new ProviderFailure(protocol.provider() + " answered with " + contentType
              + " instead of an event stream: " + OpenAiProtocol.abbreviate(message), false);
        }
        SseReader reader = new SseReader(response.body().byteStream(), maxLineBytes, SseReader.EndOfStream.DISPATCH_COMPLETE_LINES);
        TurnParser turn = protocol.newTurn(tracker);
        boolean ended = false;
        SseEvent event;
        while ((event = reader.next()) != null) {
          cancellation.throwIfCancelled();
          if (turn.onEvent(event)) {
            ended = true;
            break;
          }
        }
        cancellation.throwIfCancelled();
        ModelResponse done = turn.finish(ended);
        return new Attempt(done, turn.pausedContent());
      } catch (SseReader.TooLargeEventException e) {
        throw new ModelException(protocol.provider() + " sent " + e.getMessage(), false);
      } catch (IOException e) {
        throw ioFailure(e, cancellation);
      }
    }
  }

  private RuntimeException ioFailure(IOException e, Cancellation cancellation) {
    if (cancellation.isCancelled()) {
      return new CancelledException("model stream cancelled", e);
    }
    if (e instanceof SocketTimeoutException || (e instanceof InterruptedIOException && "timeout".equals(e.getMessage()))) {
      return new ProviderFailure(protocol.provider() + " sent nothing for " + idleTimeout.toMillis()
          + " ms (idle timeout); the stream was abandoned", true, null, e);
    }
    return new ProviderFailure("network error talking to " + protocol.provider() + ": "
        + redactor.redact(e.getClass().getSimpleName() + ": " + e.getMessage()), true, null, e);
  }

  private ProviderFailure httpFailure(Response response) {
    int code = response.code();
    String body;
    try {
      body = response.peekBody(MAX_ERROR_BODY).string();
    } catch (IOException e) {
      body = "";
    }
    String message = redactor.redact(protocol.errorMessage(body)).strip();
    if (message.length() > 1000) {
      message = message.substring(0, 1000) + "...";
    }
    boolean retryable = code == 408 || code == 409 || code == 429 || code >= 500;
    String shouldRetry = response.header("x-should-retry");
    if ("true".equalsIgnoreCase(shouldRetry)) {
      retryable = true;
    } else if ("false".equalsIgnoreCase(shouldRetry)) {
      retryable = false;
    }
    Duration hint = retryable ? RetryAfter.parse(response.headers(), clock).orElse(null) : null;
    return new ProviderFailure(protocol.provider() + " returned HTTP " + code
        + (message.isEmpty() ? "" : ": " + message), retryable, hint, null);
  }

  /**
   * Passes the stream on and remembers whether anything reached the caller: after that nothing is
   * retried, so no text, reasoning or tool input is ever shown twice.
   */
  private static final class DeliveryTracker implements ModelStreamListener {
    private final ModelStreamListener delegate;
    private boolean delivered;

    DeliveryTracker(ModelStreamListener delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onTextDelta(String text) {
      if (!text.isEmpty()) {
        delivered = true;
        delegate.onTextDelta(text);
      }
    }

    @Override
    public void onReasoningDelta(String text) {
      if (!text.isEmpty()) {
        delivered = true;
        delegate.onReasoningDelta(text);
      }
    }

    @Override
    public void onToolCallStarted(String callId, String toolName) {
      delivered = true;
      delegate.onToolCallStarted(callId, toolName);
    }

    @Override
    public void onToolInputDelta(String callId, String fragment) {
      if (!fragment.isEmpty()) {
        delivered = true;
        delegate.onToolInputDelta(callId, fragment);
      }
    }
  }
}
