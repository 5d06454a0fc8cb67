package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;

/**
 * The one mapping from a failure to what a caller of the API sees, for the HTTP controller and the
 * MCP tools alike: a {@link ChatBuilderException} answers with its {@link ErrorCode} and
 * {@link ErrorCode#httpStatus()}; an {@link IllegalStateException} (a draft or publish with no
 * runtime configured) is a setup problem, {@code not_configured} 501; anything else is
 * {@code internal} and {@link ApiError#unexpected() unexpected} (the caller logs it).
 */
final class ApiErrors {
  static final String NOT_CONFIGURED = "not_configured";

  /** A failure as the API reports it. */
  record ApiError(int status, String code, String message, boolean unexpected) {}

  private ApiErrors() {}

  static ApiError of(Throwable t) {
    if (t instanceof ChatBuilderException e) {
      return new ApiError(e.code().httpStatus(), e.code().wireName(), e.getMessage(), false);
    }
    if (t instanceof IllegalStateException) {
      return new ApiError(501, NOT_CONFIGURED, t.getMessage(), false);
    }
    return new ApiError(ErrorCode.INTERNAL.httpStatus(), ErrorCode.INTERNAL.wireName(), "internal error: " + t, true);
  }
}
