package io.chatbuilder.core.sandbox;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Directory and file names that are never checkpointed, scanned or searched, wherever they appear
 * in the tree: dependencies, build output, VCS metadata and caches.
 */
public final class Exclusions {
  /** The default names: what a Vite app regenerates or must never version. */
  public static final Set<String> DEFAULT_NAMES = Set.of(
      "node_modules", "dist", ".git", ".hg", ".svn", ".vite", ".cache", ".npm", ".turbo",
      ".parcel-cache", ".next", ".nuxt", ".svelte-kit", "coverage", ".DS_Store", ".chatbuilder");

  private static final Exclusions DEFAULTS = new Exclusions(DEFAULT_NAMES);

  private final Set<String> names;

  private Exclusions(Collection<String> names) {
    this.names = Set.copyOf(new TreeSet<>(names));
  }

  public static Exclusions defaults() {
    return DEFAULTS;
  }

  /** The defaults plus {@code extraNames}. */
  public static Exclusions withExtra(Collection<String> extraNames) {
    Set<String> all = new TreeSet<>(DEFAULT_NAMES);
    for (String name : extraNames) {
      all.add(Objects.requireNonNull(name, "name == null"));
    }
    return new Exclusions(all);
  }

  public static Exclusions of(Collection<String> names) {
    return new Exclusions(names);
  }

  public Set<String> names() {
    return names;
  }

  /** Whether a single path segment (file or directory name) is excluded. */
  public boolean isExcludedName(String name) {
    return names.contains(name);
  }

  /** Whether any segment of a normalized relative path is excluded. */
  public boolean isExcluded(String path) {
    int start = 0;
    while (start <= path.length()) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      if (end > start && names.contains(path.substring(start, end))) {
        return true;
      }
      if (slash < 0) {
        return false;
      }
      start = slash + 1;
    }
    return false;
  }
}
