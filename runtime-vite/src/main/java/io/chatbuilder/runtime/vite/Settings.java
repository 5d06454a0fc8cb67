package io.chatbuilder.runtime.vite;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/** Checks shared by the runtime's builders and entry points. */
final class Settings {
  /** Same rule as the facade's app ids: safe as one directory name. */
  private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private Settings() {}

  static String checkAppId(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    if (!APP_ID.matcher(appId).matches()) {
      throw new io.chatbuilder.core.InvalidArgumentException("invalid app id '" + appId.replace("\n", "\\n")
          + "': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return appId;
  }

  static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name + " == null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    return d;
  }

  static String program(String program, String name) {
    Objects.requireNonNull(program, name + " == null");
    if (program.isBlank() || program.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(name + " must name a program");
    }
    return program;
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

  /** Default shared npm cache: one per user, so apps of all hosts on the machine share it. */
  static Path defaultNpmCache() {
    return Path.of(System.getProperty("user.home"), ".cache", "chatbuilder", "npm");
  }
}
