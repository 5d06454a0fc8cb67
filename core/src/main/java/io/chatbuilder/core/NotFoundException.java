package io.chatbuilder.core;

/** An app, checkpoint, file or run does not exist. */
public class NotFoundException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(ErrorCode.NOT_FOUND, message);
  }

  public NotFoundException(String message, Throwable cause) {
    super(ErrorCode.NOT_FOUND, message, cause);
  }
}
