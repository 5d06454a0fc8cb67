package io.chatbuilder.core;

/** A file or body exceeds a configured size cap. */
public class TooLargeException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public TooLargeException(String message) {
    super(ErrorCode.TOO_LARGE, message);
  }

  public TooLargeException(String message, Throwable cause) {
    super(ErrorCode.TOO_LARGE, message, cause);
  }
}
