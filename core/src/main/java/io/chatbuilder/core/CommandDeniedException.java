package io.chatbuilder.core;

/** The command policy refused a command. */
public class CommandDeniedException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public CommandDeniedException(String message) {
    super(ErrorCode.COMMAND_DENIED, message);
  }

  public CommandDeniedException(String message, Throwable cause) {
    super(ErrorCode.COMMAND_DENIED, message, cause);
  }
}
