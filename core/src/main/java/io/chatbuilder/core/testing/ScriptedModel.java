package io.chatbuilder.core.testing;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ModelException;
import io.chatbuilder.core.model.FinishReason;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.model.ModelResponse;
import io.chatbuilder.core.model.ModelStreamListener;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A model that replays a scripted conversation: each call to {@link #stream} plays the next
 * {@link Turn}. Used by tests, benchmarks and the offline demo. Keeps every request it received so
 * tests can assert what the agent loop sent.
 *
 * <pre>{@code
 * ScriptedModel model = ScriptedModel.builder()
 *     .turn(t -> t.text("Creating the page.").toolCall("write_file", "{\"path\":\"index.html\",\"content\":\"<h1>Hi</h1>\"}"))
 *     .turn(t -> t.reasoning("The page needs a footer.")
 *         .streamedToolCall("write_file", "{\"path\":\"index.html\",", "\"content\":\"<footer>", "</footer>\"}"))
 *     .turn(t -> t.text("Done."))
 *     .build();
 * }</pre>
 */
public final class ScriptedModel implements ModelClient {
  private final Function<ModelRequest, Optional<Turn>> responder;
  private final List<ModelRequest> requests = new CopyOnWriteArrayList<>();
  private final String name;

  private ScriptedModel(String name, Function<ModelRequest, Optional<Turn>> responder) {
    this.name = name;
    this.responder = responder;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A model whose turns are computed from each request, e.g. to answer every tool result with the
   * next tool call. An empty result ends the script with a clear error.
   */
  public static ScriptedModel responding(Function<ModelRequest, Optional<Turn>> responder) {
    return responding("scripted", responder);
  }

  /** Like {@link #responding(Function)}, with the name {@link #name()} reports (e.g. {@code offline-demo}). */
  public static ScriptedModel responding(String name, Function<ModelRequest, Optional<Turn>> responder) {
    return new ScriptedModel(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(responder, "responder == null"));
  }

  /** Every request received so far, in order. */
  public List<ModelRequest> requests() {
    return List.copyOf(requests);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public ModelResponse stream(ModelRequest request, ModelStreamListener listener, Cancellation cancellation) {
    Objects.requireNonNull(request, "request == null");
    Objects.requireNonNull(listener, "listener == null");
    Objects.requireNonNull(cancellation, "cancellation == null");
    requests.add(request);
    Turn turn = responder.apply(request)
        .orElseThrow(() -> new ModelException("scripted model has no turn left for request #" + requests.size(), false));
    CountDownLatch cancelled = new CountDownLatch(1);
    try (Cancellation.Registration ignored = cancellation.onCancel(cancelled::countDown)) {
      StringBuilder text = new StringBuilder();
      for (Part part : turn.parts) {
        if (part.callIndex >= 0) {
          ToolCall call = turn.toolCalls.get(part.callIndex);
          cancellation.throwIfCancelled();
          listener.onToolCallStarted(call.id(), call.name());
          for (String fragment : turn.fragments.get(part.callIndex)) {
            pause(turn, cancelled, cancellation);
            listener.onToolInputDelta(call.id(), fragment);
          }
          continue;
        }
        pause(turn, cancelled, cancellation);
        if (part.reasoning) {
          listener.onReasoningDelta(part.text);
        } else {
          text.append(part.text);
          listener.onTextDelta(part.text);
        }
      }
      if (turn.holdUntilCancelled) {
        awaitQuietly(cancelled, Duration.ofMinutes(10));
        throw new CancelledException("model stream cancelled");
      }
      if (turn.failure != null) {
        throw new ModelException(turn.failure, turn.failureRetryable);
      }
      cancellation.throwIfCancelled();
      return new ModelResponse(text.toString(), turn.toolCalls, turn.finishReason(), turn.usage, turn.reasoning);
    }
  }

  private static void pause(Turn turn, CountDownLatch cancelled, Cancellation cancellation) {
    cancellation.throwIfCancelled();
    if (!turn.chunkDelay.isZero()) {
      awaitQuietly(cancelled, turn.chunkDelay);
      cancellation.throwIfCancelled();
    }
  }

  private static void awaitQuietly(CountDownLatch latch, Duration duration) {
    try {
      latch.await(duration.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelledException("interrupted");
    }
  }

  /** One streamed piece of a turn: a text or reasoning chunk, or a streamed tool call (by index). */
  private record Part(String text, boolean reasoning, int callIndex) {}

  /** One scripted model turn. Build with {@link Turn#builder()} or the {@link Builder#turn} lambda. */
  public static final class Turn {
    private final List<Part> parts;
    private final List<ToolCall> toolCalls;
    private final Map<Integer, List<String>> fragments;
    private final List<Reasoning> reasoning;
    private final FinishReason finishReason;
    private final Usage usage;
    private final Duration chunkDelay;
    private final boolean holdUntilCancelled;
    private final String failure;
    private final boolean failureRetryable;

    private Turn(TurnBuilder b) {
      this.parts = List.copyOf(b.parts);
      this.toolCalls = List.copyOf(b.toolCalls);
      this.fragments = Map.copyOf(b.fragments);
      this.reasoning = b.reasoning();
      this.finishReason = b.finishReason;
      this.usage = b.usage;
      this.chunkDelay = b.chunkDelay;
      this.holdUntilCancelled = b.holdUntilCancelled;
      this.failure = b.failure;
      this.failureRetryable = b.failureRetryable;
    }

    public static TurnBuilder builder() {
      return new TurnBuilder();
    }

    FinishReason finishReason() {
      if (finishReason != null) {
        return finishReason;
      }
      return toolCalls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS;
    }
  }

  /** Builds a {@link Turn}. */
  public static final class TurnBuilder {
    private final List<Part> parts = new ArrayList<>();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private final Map<Integer, List<String>> fragments = new HashMap<>();
    private final List<Reasoning> reasoningBlocks = new ArrayList<>();
    private StringBuilder openReasoning;
    private FinishReason finishReason;
    private Usage usage = Usage.ZERO;
    private Duration chunkDelay = Duration.ZERO;
    private boolean holdUntilCancelled;
    private String failure;
    private boolean failureRetryable;
    private String callIdPrefix = "call_";

    /** Streams {@code text} as one delta; call repeatedly for several deltas. */
    public TurnBuilder text(String text) {
      closeReasoning();
      parts.add(new Part(Objects.requireNonNull(text, "text == null"), false, -1));
      return this;
    }

    /**
     * Streams {@code text} as one reasoning delta. Consecutive calls (with no text or tool call
     * between them) are chunks of one {@link Reasoning.Text} block, without a signature.
     */
    public TurnBuilder reasoning(String text) {
      parts.add(new Part(Objects.requireNonNull(text, "text == null"), true, -1));
      if (openReasoning == null) {
        openReasoning = new StringBuilder();
      }
      openReasoning.append(text);
      return this;
    }

    /**
     * Adds a whole reasoning block to the response, such as a signed {@link Reasoning.Text} or a
     * {@link Reasoning.Redacted} one. The text of a {@code Text} block streams as one delta.
     */
    public TurnBuilder reasoning(Reasoning block) {
      Objects.requireNonNull(block, "block == null");
      closeReasoning();
      if (block instanceof Reasoning.Text t) {
        parts.add(new Part(t.text(), true, -1));
      }
      reasoningBlocks.add(block);
      return this;
    }

    private void closeReasoning() {
      if (openReasoning != null) {
        reasoningBlocks.add(new Reasoning.Text(openReasoning.toString()));
        openReasoning = null;
      }
    }

    private List<Reasoning> reasoning() {
      List<Reasoning> all = new ArrayList<>(reasoningBlocks);
      if (openReasoning != null) {
        all.add(new Reasoning.Text(openReasoning.toString()));
      }
      return List.copyOf(all);
    }

    /**
     * A tool call whose arguments stream in {@code fragments}, as real providers send them (a
     * generated id, like {@link #toolCall(String, String)}). Its arguments are the fragments
     * joined. Plain {@link #toolCall} calls arrive whole, without streaming callbacks.
     */
    public TurnBuilder streamedToolCall(String name, String... fragments) {
      return streamedToolCall(callIdPrefix + (toolCalls.size() + 1), name, List.of(fragments));
    }

    public TurnBuilder streamedToolCall(String id, String name, List<String> fragments) {
      List<String> copy = List.copyOf(fragments);
      closeReasoning();
      toolCalls.add(new ToolCall(id, name, String.join("", copy)));
      this.fragments.put(toolCalls.size() - 1, copy);
      parts.add(new Part("", false, toolCalls.size() - 1));
      return this;
    }

    /**
     * A tool call with a generated id ({@code call_<turn>_<n>} inside {@link Builder#turn}).
     * {@code argumentsJson} is passed through unparsed, so tests can send malformed JSON.
     */
    public TurnBuilder toolCall(String name, String argumentsJson) {
      return toolCall(callIdPrefix + (toolCalls.size() + 1), name, argumentsJson);
    }

    public TurnBuilder toolCall(String id, String name, String argumentsJson) {
      closeReasoning();
      toolCalls.add(new ToolCall(id, name, argumentsJson));
      return this;
    }

    public TurnBuilder finishReason(FinishReason finishReason) {
      this.finishReason = Objects.requireNonNull(finishReason, "finishReason == null");
      return this;
    }

    public TurnBuilder usage(long inputTokens, long outputTokens) {
      this.usage = new Usage(inputTokens, outputTokens);
      return this;
    }

    public TurnBuilder usage(Usage usage) {
      this.usage = Objects.requireNonNull(usage, "usage == null");
      return this;
    }

    /**
     * Waits this long before each streamed piece (text and reasoning deltas, tool argument
     * fragments; cancellable), to simulate a slow stream.
     */
    public TurnBuilder chunkDelay(Duration delay) {
      this.chunkDelay = Objects.requireNonNull(delay, "delay == null");
      return this;
    }

    /** After the text, blocks until the run is cancelled, like a stalled stream. */
    public TurnBuilder holdUntilCancelled() {
      this.holdUntilCancelled = true;
      return this;
    }

    /** After the text, fails the turn like an error event mid-stream. */
    public TurnBuilder fail(String message, boolean retryable) {
      this.failure = Objects.requireNonNull(message, "message == null");
      this.failureRetryable = retryable;
      return this;
    }

    public Turn build() {
      return new Turn(this);
    }
  }

  /** Builds a {@link ScriptedModel} that plays its turns in order. */
  public static final class Builder {
    private final List<Turn> turns = new ArrayList<>();
    private String name = "scripted";

    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name == null");
      return this;
    }

    public Builder turn(Consumer<TurnBuilder> turn) {
      TurnBuilder builder = new TurnBuilder();
      builder.callIdPrefix = "call_" + (turns.size() + 1) + "_";
      turn.accept(builder);
      turns.add(builder.build());
      return this;
    }

    public Builder turn(Turn turn) {
      turns.add(Objects.requireNonNull(turn, "turn == null"));
      return this;
    }

    public ScriptedModel build() {
      List<Turn> script = List.copyOf(turns);
      int[] next = {0};
      return new ScriptedModel(name, request -> {
        synchronized (next) {
          return next[0] < script.size() ? Optional.of(script.get(next[0]++)) : Optional.empty();
        }
      });
    }
  }
}
