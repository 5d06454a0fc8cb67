package io.chatbuilder.core;

import java.util.Objects;

/**
 * Root of every exception ChatBuilder throws. Unchecked; carries a stable {@link ErrorCode} so
 * callers (and HTTP layers) can react without parsing messages.
 */
public class ChatBuilderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ChatBuilderException(ErrorCode code, String message) {
    this(code, message, null);
  }

  public ChatBuilderException(ErrorCode code, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message == null"), cause);
    this.code = Objects.requireNonNull(code, "code == null");
  }

  public ErrorCode code() {
    return code;
  }

  /**
   * Recreates the most specific exception type for a code, e.g. from a JSON error sent by a remote
   * sandbox, so local and remote failures look the same to callers.
   */
  public static ChatBuilderException of(ErrorCode code, String message) {
    Objects.requireNonNull(code, "code == null");
    return switch (code) {
      case INVALID_ARGUMENT -> new InvalidArgumentException(message);
      case PATH_REFUSED -> new PathRefusedException(message);
      case TOO_LARGE -> new TooLargeException(message);
      case COMMAND_DENIED -> new CommandDeniedException(message);
      case NOT_FOUND -> new NotFoundException(message);
      case BUSY -> new BusyException(message);
      case CONFLICT -> new ConflictException(message);
      case NOTHING_TO_DO -> new NothingToDoException(message);
      case CANCELLED -> new CancelledException(message);
      case TIMEOUT -> new TimeoutException(message);
      case SANDBOX_ERROR -> new SandboxException(message);
      case MODEL_ERROR -> new ModelException(message, false);
      case STORE_ERROR -> new StoreException(message, null);
      default -> new ChatBuilderException(code, message);
    };
  }
}
