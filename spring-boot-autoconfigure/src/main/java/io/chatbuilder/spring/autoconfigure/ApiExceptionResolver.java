package io.chatbuilder.spring.autoconfigure;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.web.ErrorResponse;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/**
 * Answers every failure of a request under the API's base path with {@link ApiErrors}' mapping, as
 * {@code {"code","message"}}: the API's own controller, a controller a host adds under the base
 * path, and Spring MVC's refusals before any controller (no such route 404, a method the route does
 * not take 405 with {@code Allow}). Requests elsewhere, and Spring Security's exceptions (its filters
 * answer those), are left to the application's own handling.
 */
final class ApiExceptionResolver implements HandlerExceptionResolver, Ordered {
  private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionResolver.class);
  /** After Boot's DefaultErrorAttributes (which only records the error), before Spring MVC's resolvers. */
  static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

  private final String basePath;
  private final ApiJson json = new ApiJson();

  ApiExceptionResolver(String basePath) {
    this.basePath = Objects.requireNonNull(basePath, "basePath == null");
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
      Exception e) {
    if (!HttpGuard.underBasePath(request, basePath) || e.getClass().getName().startsWith("org.springframework.security.")) {
      return null;
    }
    ApiErrors.ApiError error = ApiErrors.of(e);
    if (error.unexpected()) {
      LOG.warn("request {} {} failed", request.getMethod(), request.getRequestURI(), e);
    }
    if (response.isCommitted()) {
      return new ModelAndView(); // a stream was already open: the client sees it end and resumes with Last-Event-ID
    }
    if (e instanceof ErrorResponse r) {
      r.getHeaders().forEach((name, values) -> values.forEach(v -> response.addHeader(name, v)));
    }
    try {
      response.setStatus(error.status());
      response.setContentType("application/json;charset=UTF-8");
      response.setHeader("Cache-Control", "no-store");
      response.getOutputStream().write(json.error(error.code(), error.message()).getBytes(StandardCharsets.UTF_8));
    } catch (IOException | IllegalStateException writeFailed) {
      LOG.debug("cannot write the error of {} {}: {}", request.getMethod(), request.getRequestURI(), writeFailed.toString());
    }
    return new ModelAndView();
  }
}
