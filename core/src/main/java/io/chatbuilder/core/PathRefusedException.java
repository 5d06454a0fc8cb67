package io.chatbuilder.core;

/** A sandbox path was refused (absolute, escaping the root, a device name, a symlink leading out, a NUL byte). */
public class PathRefusedException extends ChatBuilderException {
  private static final long serialVersionUID = 1L;

  public PathRefusedException(String message) {
    super(ErrorCode.PATH_REFUSED, message);
  }

  public PathRefusedException(String message, Throwable cause) {
    super(ErrorCode.PATH_REFUSED, message, cause);
  }
}
