package io.chatbuilder.core;

/** A checkpoint, conversation or event store failed (I/O, database, repository). */
public class StoreException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(ErrorCode.STORE_ERROR, message, cause);
  }
}
