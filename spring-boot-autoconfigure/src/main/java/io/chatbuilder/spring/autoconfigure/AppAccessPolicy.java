package io.chatbuilder.spring.autoconfigure;

/**
 * Decides whether a caller may do something with an app. The HTTP API asks it on every endpoint
 * before it touches the app (so a denied caller cannot even learn whether the app exists), and
 * lists only the apps it allows {@link AppAction#READ} on.
 *
 * <p>Define one as a bean to replace the default, which allows everything only when Spring
 * Security is not on the classpath and the server listens on a loopback address, and denies
 * everything otherwise.
 */
@FunctionalInterface
public interface AppAccessPolicy {
  boolean allows(AppPrincipal principal, String appId, AppAction action);

  /** Allows everything: for a single-user tool on a loopback address. */
  static AppAccessPolicy allowAll() {
    return (principal, appId, action) -> true;
  }

  /** Denies everything: the default wherever other people can reach the server. */
  static AppAccessPolicy denyAll() {
    return (principal, appId, action) -> false;
  }
}
