package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.AppId;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/** Checks shared by the runtime's builders and entry points. */
final class Settings {
  /** Same rule as the facade's app ids: safe as one directory name. */

  private Settings() {}

  static String checkAppId(String appId) {
    return AppId.check(appId);
  }

  static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name + " == null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    return d;
  }

  /** npm package names ({@code name} or {@code @scope/name}), as npm accepts them. */
  private static final Pattern PACKAGE = Pattern.compile("(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]{0,213}");

  static java.util.List<String> packageNames(String... names) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String name : Objects.requireNonNull(names, "packages == null")) {
      Objects.requireNonNull(name, "package == null");
      if (!PACKAGE.matcher(name).matches()) {
        throw new IllegalArgumentException("not an npm package name: '" + name + "'");
      }
      out.add(name);
    }
    return out;
  }

  static void environmentName(String name) {
    Objects.requireNonNull(name, "name == null");
    if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("invalid environment variable name '" + name + "'");
    }
  }

  /**
   * Wraps a host's listener so one that throws (a closed UI stream) cannot break a start or a
   * build; the failure is logged.
   */
  static io.chatbuilder.core.runtime.StatusListener safe(io.chatbuilder.core.runtime.StatusListener listener, org.slf4j.Logger log) {
    Objects.requireNonNull(listener, "listener == null");
    return message -> {
      try {
        listener.onStatus(message);
      } catch (RuntimeException e) {
        log.warn("status listener failed on '{}': {}", message, e.toString());
      }
    };
  }
}
