package io.chatbuilder.core;

/** There is nothing to undo or redo. */
public class NothingToDoException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public NothingToDoException(String message) {
    super(ErrorCode.NOTHING_TO_DO, message);
  }

  public NothingToDoException(String message, Throwable cause) {
    super(ErrorCode.NOTHING_TO_DO, message, cause);
  }
}
