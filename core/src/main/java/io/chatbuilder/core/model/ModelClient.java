package io.chatbuilder.core.model;

import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.Cancellation;

/**
 * A streaming chat model with tool calling. Implementations: {@link io.chatbuilder.core.testing.ScriptedModel} for tests, real HTTP
 * providers in the {@code models} module. Must be thread-safe: runs of different apps call it
 * concurrently.
 */
public interface ModelClient {

  /**
   * Runs one model turn, streaming text to {@code listener} as it arrives, and returns the whole
   * turn once the provider finished it.
   *
   * <p>When {@code cancellation} fires, the implementation stops the stream at once (closing the
   * connection) and throws {@link io.chatbuilder.core.CancelledException}.
   *
   * @throws io.chatbuilder.core.ModelException if the provider fails or the stream is cut off
   */
  ModelResponse stream(ModelRequest request, ModelStreamListener listener, Cancellation cancellation);

  /** A short human-readable name such as {@code openai:gpt-4.1}; never contains secrets. */
  default String name() {
    return getClass().getSimpleName();
  }
}
