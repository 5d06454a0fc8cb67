package io.chatbuilder.core;

/** The sandbox failed for a reason not covered by a more specific exception (I/O, process start). */
public class SandboxException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public SandboxException(String message) {
    super(ErrorCode.SANDBOX_ERROR, message);
  }

  public SandboxException(String message, Throwable cause) {
    super(ErrorCode.SANDBOX_ERROR, message, cause);
  }
}
