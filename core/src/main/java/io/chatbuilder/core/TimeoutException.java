package io.chatbuilder.core;

/** An operation ran out of time (a command, a search, a remote call). */
public class TimeoutException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public TimeoutException(String message) {
    super(ErrorCode.TIMEOUT, message);
  }

  public TimeoutException(String message, Throwable cause) {
    super(ErrorCode.TIMEOUT, message, cause);
  }
}
