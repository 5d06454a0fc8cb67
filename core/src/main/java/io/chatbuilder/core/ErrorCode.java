package io.chatbuilder.core;

/**
 * Stable, wire-safe classification of every {@link ChatBuilderException}. HTTP layers map these to
 * status codes; the remote sandbox client maps them back to the same exception types.
 */
public enum ErrorCode {
  /** A request argument is missing or malformed (HTTP 400). */
  INVALID_ARGUMENT("invalid_argument"),
  /** A path was refused by the sandbox: absolute, escaping, a device name, a symlink out (HTTP 400). */
  PATH_REFUSED("path_refused"),
  /** A file is larger than the configured cap (HTTP 413). */
  TOO_LARGE("too_large"),
  /** The command policy denied a command (HTTP 403). */
  COMMAND_DENIED("command_denied"),
  /** An app, checkpoint, file or run does not exist (HTTP 404). */
  NOT_FOUND("not_found"),
  /** The app already has a run or history operation in progress (HTTP 409). */
  BUSY("busy"),
  /** The store's head moved under the caller; nothing was written (HTTP 409). */
  CONFLICT("conflict"),
  /** There is nothing to undo or redo (HTTP 409). */
  NOTHING_TO_DO("nothing_to_do"),
  /** A run used all its model turns before the model finished (HTTP 500). */
  STEP_LIMIT("step_limit"),
  /** An operation ran out of time (HTTP 504). */
  TIMEOUT("timeout"),
  /** The operation was cancelled by the caller. */
  CANCELLED("cancelled"),
  /** The model provider failed or returned something unusable (HTTP 502). */
  MODEL_ERROR("model_error"),
  /** The checkpoint, conversation or event store failed (HTTP 503). */
  STORE_ERROR("store_error"),
  /** The sandbox failed for a reason other than the ones above (HTTP 500). */
  SANDBOX_ERROR("sandbox_error"),
  /** The caller did not say who it is, or its credentials are not valid (HTTP 401). */
  UNAUTHENTICATED("unauthenticated"),
  /** The caller is known but may not do this (HTTP 403). */
  UNAUTHORIZED("unauthorized"),
  /**
   * The host running a run or history operation stopped mid-way (its lease lapsed); the next host
   * that touched the app ended it (HTTP 503).
   */
  HOST_LOST("host_lost"),
  /** Anything else (HTTP 500). */
  INTERNAL("internal");

  private final String wireName;

  ErrorCode(String wireName) {
    this.wireName = wireName;
  }

  /**
   * The HTTP status every HTTP layer answers this code with (the one mapping; the sandbox server,
   * the studio and the Spring Boot starter all use it).
   */
  public int httpStatus() {
    return switch (this) {
      case INVALID_ARGUMENT, PATH_REFUSED -> 400;
      case UNAUTHENTICATED -> 401;
      case UNAUTHORIZED, COMMAND_DENIED -> 403;
      case NOT_FOUND -> 404;
      case BUSY, CONFLICT, NOTHING_TO_DO -> 409;
      case TOO_LARGE -> 413;
      case MODEL_ERROR -> 502;
      case STORE_ERROR, HOST_LOST -> 503;
      case TIMEOUT -> 504;
      case STEP_LIMIT, CANCELLED, SANDBOX_ERROR, INTERNAL -> 500;
    };
  }

  /** The snake_case name used in JSON errors. */
  public String wireName() {
    return wireName;
  }

  /** Parses a wire name; unknown names become {@link #INTERNAL} so old clients survive new codes. */
  public static ErrorCode fromWireName(String name) {
    for (ErrorCode code : values()) {
      if (code.wireName.equals(name)) {
        return code;
      }
    }
    return INTERNAL;
  }
}
