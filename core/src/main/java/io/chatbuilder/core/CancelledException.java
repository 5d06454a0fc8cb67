package io.chatbuilder.core;

/** The operation was cancelled. */
public class CancelledException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public CancelledException(String message) {
    super(ErrorCode.CANCELLED, message);
  }

  public CancelledException(String message, Throwable cause) {
    super(ErrorCode.CANCELLED, message, cause);
  }
}
