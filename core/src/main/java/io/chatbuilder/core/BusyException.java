package io.chatbuilder.core;

/** The app already has a run or history operation in progress; only one runs at a time per app. */
public class BusyException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public BusyException(String message) {
    super(ErrorCode.BUSY, message);
  }

  public BusyException(String message, Throwable cause) {
    super(ErrorCode.BUSY, message, cause);
  }
}
