package io.chatbuilder.core;

/**
 * The model provider failed: an HTTP error, a stream cut off, an error event mid-stream, or output
 * that cannot be used. Messages never contain API keys.
 */
public class ModelException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  public ModelException(String message, boolean retryable) {
    this(message, retryable, null);
  }

  public ModelException(String message, boolean retryable, Throwable cause) {
    super(ErrorCode.MODEL_ERROR, message, cause);
    this.retryable = retryable;
  }

  /** Whether the same request may succeed if sent again (rate limits, overload, 5xx). */
  public boolean retryable() {
    return retryable;
  }
}
