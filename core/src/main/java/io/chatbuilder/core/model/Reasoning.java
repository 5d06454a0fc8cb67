package io.chatbuilder.core.model;

import java.util.Objects;

/**
 * Reasoning a model did in a turn, kept apart from its answer. Providers that sign their reasoning
 * (Anthropic extended thinking) need it sent back unchanged in tool loops, so it is stored with
 * the assistant message; it is never part of the answer text.
 */
public sealed interface Reasoning {

  /**
   * Reasoning text as the model wrote it.
   *
   * @param signature the provider's opaque proof that the text is unchanged (Anthropic's
   *     {@code signature}); empty when the provider gives none, and then it is never sent back
   */
  record Text(String text, String signature) implements Reasoning {
    public Text {
      Objects.requireNonNull(text, "text == null");
      Objects.requireNonNull(signature, "signature == null");
    }

    /** Reasoning without a signature, as OpenAI-compatible servers stream it. */
    public Text(String text) {
      this(text, "");
    }
  }

  /** Reasoning the provider encrypted (Anthropic {@code redacted_thinking}); sent back as it came. */
  record Redacted(String data) implements Reasoning {
    public Redacted {
      Objects.requireNonNull(data, "data == null");
    }
  }
}
