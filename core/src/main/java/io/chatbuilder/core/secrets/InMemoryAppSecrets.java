package io.chatbuilder.core.secrets;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** {@link AppSecrets} in memory (lost when the host stops). Thread-safe. */
public final class InMemoryAppSecrets implements AppSecrets {
  static final int MAX_VALUE_CHARS = 32 * 1024;
  private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private final Map<String, Map<String, String>> byApp = new ConcurrentHashMap<>();

  @Override
  public void put(String appId, String name, String value) {
    checkAppId(appId);
    checkName(name);
    Objects.requireNonNull(value, "value == null");
    if (value.length() > MAX_VALUE_CHARS) {
      throw new InvalidArgumentException("secret " + name + " is longer than " + MAX_VALUE_CHARS + " characters");
    }
    if (value.indexOf('\0') >= 0) {
      throw new InvalidArgumentException("secret " + name + " holds a NUL character, which no environment variable can");
    }
    byApp.compute(appId, (k, old) -> {
      Map<String, String> next = old == null ? new TreeMap<>() : new TreeMap<>(old);
      next.put(name, value);
      return Collections.unmodifiableMap(next);
    });
  }

  @Override
  public boolean remove(String appId, String name) {
    checkAppId(appId);
    checkName(name);
    boolean[] removed = new boolean[1];
    byApp.computeIfPresent(appId, (k, old) -> {
      if (!old.containsKey(name)) {
        return old;
      }
      removed[0] = true;
      Map<String, String> next = new TreeMap<>(old);
      next.remove(name);
      return next.isEmpty() ? null : Collections.unmodifiableMap(next);
    });
    return removed[0];
  }

  @Override
  public SortedSet<String> names(String appId) {
    checkAppId(appId);
    return Collections.unmodifiableSortedSet(new TreeSet<>(values(appId).keySet()));
  }

  @Override
  public Map<String, String> values(String appId) {
    checkAppId(appId);
    return byApp.getOrDefault(appId, Map.of());
  }

  /** Secrets print as their names only, so a log line or a debugger never shows a value. */
  @Override
  public String toString() {
    Map<String, SortedSet<String>> names = new TreeMap<>();
    byApp.forEach((app, secrets) -> names.put(app, new TreeSet<>(secrets.keySet())));
    return "InMemoryAppSecrets" + names;
  }

  private static void checkAppId(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    if (!APP_ID.matcher(appId).matches()) {
      throw new InvalidArgumentException("invalid app id '" + appId.replace("\n", "\\n") + "'");
    }
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name == null");
    if (!NAME.matcher(name).matches()) {
      throw new InvalidArgumentException("invalid secret name '" + name.replace("\n", "\\n")
          + "': use letters, digits and '_', not starting with a digit, at most 128");
    }
  }
}
