package io.chatbuilder.core;

/**
 * A lease on an app is no longer held by the one who presents it: it expired, was released, or
 * another holder took it over (with a higher fencing token). The holder must stop touching the
 * app's workspace; a store refuses its checkpoints. Nothing was written by the refused call.
 */
public class LeaseLostException extends ConflictException {
  private static final long serialVersionUID = 1L;

  public LeaseLostException(String message) {
    super(message);
  }

  public LeaseLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
