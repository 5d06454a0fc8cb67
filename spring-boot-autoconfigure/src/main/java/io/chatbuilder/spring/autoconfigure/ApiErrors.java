package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import org.springframework.web.ErrorResponse;

/**
 * The one mapping from a failure to what a caller of the API sees, for the HTTP controller and the
 * MCP tools alike: a {@link ChatBuilderException} answers with its {@link ErrorCode} and
 * {@link ErrorCode#httpStatus()}; an {@link IllegalStateException} (a draft or publish with no
 * runtime configured) is a setup problem, {@code not_configured} 501; Spring MVC's own refusals (no
 * such route, a method the route does not take) keep their status with the code of that status;
 * anything else is
 * {@code internal} and {@link ApiError#unexpected() unexpected} (the caller logs it).
 */
final class ApiErrors {
  static final String NOT_CONFIGURED = "not_configured";
  static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";

  /** A failure as the API reports it. */
  record ApiError(int status, String code, String message, boolean unexpected) {}

  private ApiErrors() {}

  static ApiError of(Throwable t) {
    if (t instanceof ChatBuilderException e) {
      return new ApiError(e.code().httpStatus(), e.code().wireName(), e.getMessage(), false);
    }
    if (t instanceof ErrorResponse e) {
      int status = e.getStatusCode().value();
      String detail = e.getBody().getDetail();
      return new ApiError(status, codeOf(status), detail != null ? detail : String.valueOf(t.getMessage()), false);
    }
    if (t instanceof IllegalStateException) {
      return new ApiError(501, NOT_CONFIGURED, t.getMessage(), false);
    }
    return new ApiError(ErrorCode.INTERNAL.httpStatus(), ErrorCode.INTERNAL.wireName(), "internal error: " + t, true);
  }

  /** The code of a status that has no {@link ErrorCode} of its own, as HTTP names it. */
  static String codeOf(int status) {
    return switch (status) {
      case 400 -> ErrorCode.INVALID_ARGUMENT.wireName();
      case 401 -> ErrorCode.UNAUTHENTICATED.wireName();
      case 403 -> ErrorCode.UNAUTHORIZED.wireName();
      case 404 -> ErrorCode.NOT_FOUND.wireName();
      case 405 -> "method_not_allowed";
      case 406 -> "not_acceptable";
      case 409 -> ErrorCode.CONFLICT.wireName();
      case 413 -> ErrorCode.TOO_LARGE.wireName();
      case 415 -> UNSUPPORTED_MEDIA_TYPE;
      default -> status >= 500 ? ErrorCode.INTERNAL.wireName() : "http_" + status;
    };
  }
}
