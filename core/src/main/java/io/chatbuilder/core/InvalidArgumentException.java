package io.chatbuilder.core;

/** A request argument is missing or malformed. */
public class InvalidArgumentException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public InvalidArgumentException(String message) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }

  public InvalidArgumentException(String message, Throwable cause) {
    super(ErrorCode.INVALID_ARGUMENT, message, cause);
  }
}
