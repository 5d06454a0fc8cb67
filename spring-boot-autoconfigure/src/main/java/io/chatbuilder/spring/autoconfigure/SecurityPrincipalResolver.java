package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.access.AppPrincipal;
import jakarta.servlet.http.HttpServletRequest;
import java.util.stream.Collectors;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

/** The principal of Spring Security's context; anonymous when nobody is authenticated. */
final class SecurityPrincipalResolver implements PrincipalResolver {
  @Override
  public AppPrincipal resolve(HttpServletRequest request) {
    Authentication a = SecurityContextHolder.getContext().getAuthentication();
    if (a == null || !a.isAuthenticated() || a instanceof AnonymousAuthenticationToken) {
      return AppPrincipal.ANONYMOUS;
    }
    return AppPrincipal.of(a.getName(),
        a.getAuthorities().stream().map(GrantedAuthority::getAuthority).collect(Collectors.toSet()));
  }
}
