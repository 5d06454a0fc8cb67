package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.access.AppPrincipal;
import jakarta.servlet.http.HttpServletRequest;

/** Finds the caller of a request. The default reads Spring Security's context when it is present. */
@FunctionalInterface
public interface PrincipalResolver {
  AppPrincipal resolve(HttpServletRequest request);
}
