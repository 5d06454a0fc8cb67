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

  /** A preview path: absolute, no authority, fragment, dot segments, backslash, space or control characters. */
  private static final Pattern PREVIEW_PATH = Pattern.compile("/([A-Za-z0-9._~!$&'()*+,;=:@%/-]*)(\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?");

  static String previewPath(String path) {
    Objects.requireNonNull(path, "path == null");
    String pathPart = path.indexOf('?') < 0 ? path : path.substring(0, path.indexOf('?'));
    if (path.length() > 1024 || !PREVIEW_PATH.matcher(path).matches() || pathPart.startsWith("//")
        || ("/" + pathPart + "/").matches(".*/\\.{1,2}/.*") || path.matches(".*%(?![0-9A-Fa-f]{2}).*")
        || path.toLowerCase(java.util.Locale.ROOT).matches(".*%(2e|2f|5c|00|0[0-9a-f]|1[0-9a-f]|7f).*")) {
      throw new io.chatbuilder.core.InvalidArgumentException("invalid preview path '" + printable(path)
          + "': use an absolute path such as /app/ (no '..', '//', '#', spaces or control characters)");
    }
    return path;
  }

  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    s.codePoints().limit(200).forEach(cp -> {
      if (cp < 0x20 || cp == 0x7f || Character.getType(cp) == Character.FORMAT) {
        out.append(String.format("\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
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
