package io.chatbuilder.core.access;

/**
 * Decides whether a caller may do something with an app. The facade asks it on every call made
 * through a principal's {@link io.chatbuilder.core.ChatBuilder#app(String, AppPrincipal) app handle}
 * before anything is touched; the Spring Boot starter's HTTP API and MCP tools ask it on every
 * endpoint (so a denied caller cannot even learn whether the app exists), and list only the apps it
 * allows {@link AppAction#READ} on.
 *
 * <p>The facade's default allows everything; the starter's default allows everything only when
 * Spring Security is not on the classpath and the server listens on a loopback address, and denies
 * everything otherwise.
 */
@FunctionalInterface
public interface AppAccessPolicy {
  boolean allows(AppPrincipal principal, String appId, AppAction action);

  /**
   * Throws {@link AccessDeniedException} unless {@link #allows} says yes.
   *
   * @throws AccessDeniedException if the policy denies it
   */
  default void check(AppPrincipal principal, String appId, AppAction action) {
    if (!allows(principal, appId, action)) {
      throw new AccessDeniedException(principal, appId, action);
    }
  }

  /** Allows everything: for a single-user tool on a loopback address. */
  static AppAccessPolicy allowAll() {
    return (principal, appId, action) -> true;
  }

  /** Denies everything: the default wherever other people can reach the server. */
  static AppAccessPolicy denyAll() {
    return (principal, appId, action) -> false;
  }
}
