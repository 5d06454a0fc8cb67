package io.chatbuilder.core;

/** The checkpoint store's head moved under the caller (another writer appended first); nothing was written. */
public class ConflictException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message) {
    super(ErrorCode.CONFLICT, message);
  }

  public ConflictException(String message, Throwable cause) {
    super(ErrorCode.CONFLICT, message, cause);
  }
}
