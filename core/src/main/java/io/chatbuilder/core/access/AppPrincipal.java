package io.chatbuilder.core.access;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: the authenticated user's name and authorities (from Spring Security when it is
 * present), or {@link #ANONYMOUS}.
 */
public record AppPrincipal(String name, boolean anonymous, Set<String> authorities) {
  /** A caller nobody authenticated. */
  public static final AppPrincipal ANONYMOUS = new AppPrincipal("anonymous", true, Set.of());

  public AppPrincipal {
    Objects.requireNonNull(name, "name == null");
    authorities = Set.copyOf(Objects.requireNonNull(authorities, "authorities == null"));
  }

  /** An authenticated caller. */
  public static AppPrincipal of(String name, Set<String> authorities) {
    return new AppPrincipal(name, false, authorities);
  }
}
