package io.chatbuilder.core.sandbox;

import java.text.Normalizer;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Directory and file names that are never checkpointed, scanned or searched, wherever they appear
 * in the tree: dependencies, build output, VCS metadata and caches.
 *
 * <p>Names are compared the way case-insensitive file systems compare them (macOS, Windows, and
 * git's own checks for {@code .git} on them): letter case, default-ignorable characters (zero-width
 * and bidi controls, which HFS+ drops) and trailing dots and spaces (which Windows drops) do not
 * count. So {@code .GIT}, {@code Node_Modules} and {@code node\u200Bmodules} are all excluded: on a
 * checkout on such a system they are the excluded directory.
 *
 * <p>{@link #withIgnoreFile} adds the patterns of the app's root {@code .gitignore} (git's
 * semantics: negation, directory-only {@code /}, anchors, {@code **}), so {@code .env.local},
 * {@code logs/} or {@code npm-debug.log} are never checkpointed either. They never exclude what the
 * SDK needs to record an app: the root {@code .gitignore}, {@code package.json} and
 * {@code package-lock.json}. Every sandbox applies this one rule. Immutable.
 */
public final class Exclusions {
  /** The default names: what a Vite app regenerates or must never version. */
  public static final Set<String> DEFAULT_NAMES = Set.of(
      "node_modules", "dist", ".git", ".hg", ".svn", ".vite", ".cache", ".npm", ".turbo",
      ".parcel-cache", ".next", ".nuxt", ".svelte-kit", "coverage", ".DS_Store", ".chatbuilder");

  private static final Exclusions DEFAULTS = new Exclusions(DEFAULT_NAMES);

  /** The app's ignore file, at the root. */
  public static final String IGNORE_FILE = ".gitignore";
  /** Root files an ignore file cannot exclude: without them the app's history cannot be rebuilt. */
  public static final Set<String> NEVER_IGNORED = Set.of(IGNORE_FILE, "package.json", "package-lock.json");

  private final Set<String> names;
  private final Set<String> folded;
  private final IgnorePatterns ignored;

  private Exclusions(Collection<String> names) {
    this(names, IgnorePatterns.NONE);
  }

  private Exclusions(Collection<String> names, IgnorePatterns ignored) {
    this.ignored = ignored;
    this.names = Set.copyOf(new TreeSet<>(names));
    Set<String> f = new HashSet<>();
    for (String name : this.names) {
      f.add(fold(name));
    }
    this.folded = Set.copyOf(f);
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
    for (String name : names) {
      Objects.requireNonNull(name, "name == null");
    }
    return new Exclusions(names);
  }

  /**
   * These exclusions plus the patterns of an ignore file's text (the app's root {@code .gitignore});
   * replaces the patterns of an earlier call. Text that is not a valid pattern is skipped, as git does.
   */
  public Exclusions withIgnoreFile(String gitignore) {
    Objects.requireNonNull(gitignore, "gitignore == null");
    return new Exclusions(names, IgnorePatterns.parse(gitignore));
  }

  /** These exclusions without ignore-file patterns. */
  public Exclusions withoutIgnoreFile() {
    return ignored.isEmpty() ? this : new Exclusions(names);
  }

  /** Whether ignore-file patterns are part of these exclusions. */
  public boolean hasIgnorePatterns() {
    return !ignored.isEmpty();
  }

  /** The names as configured. */
  public Set<String> names() {
    return names;
  }

  /** Whether a single path segment (file or directory name) is excluded. */
  public boolean isExcludedName(String name) {
    return folded.contains(fold(name));
  }

  /**
   * Whether a normalized relative path of a file is excluded: a segment is an excluded name, or the
   * ignore file's patterns ignore it (or a directory it is in).
   */
  public boolean isExcluded(String path) {
    return hasExcludedName(path) || ignoredByFile(path, false);
  }

  /** {@link #isExcluded} for a path known to be a directory (directory-only patterns apply to it). */
  public boolean isExcludedDirectory(String path) {
    return hasExcludedName(path) || ignoredByFile(path, true);
  }

  private boolean ignoredByFile(String path, boolean directory) {
    return !ignored.isEmpty() && !NEVER_IGNORED.contains(path) && ignored.ignores(path, directory);
  }

  private boolean hasExcludedName(String path) {
    int start = 0;
    while (start <= path.length()) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      if (end > start && isExcludedName(path.substring(start, end))) {
        return true;
      }
      if (slash < 0) {
        return false;
      }
      start = slash + 1;
    }
    return false;
  }

  /**
   * The form two names are compared in: default-ignorable code points removed, trailing dots and
   * spaces removed, case folded (upper then lower case, so {@code ß}, {@code ſ} and the Kelvin sign
   * meet their ASCII look-alikes), then NFC.
   */
  static String fold(String name) {
    int n = name.length();
    boolean plainAscii = true;
    boolean lowerAlready = true;
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      if (c >= 0x80) {
        plainAscii = false;
        break;
      }
      if (c >= 'A' && c <= 'Z') {
        lowerAlready = false;
      }
    }
    if (plainAscii && n > 0 && name.charAt(n - 1) != '.' && name.charAt(n - 1) != ' ') {
      // The common case (every default name, nearly every file): no allocation when already lower case.
      return lowerAlready ? name : name.toLowerCase(Locale.ROOT);
    }
    StringBuilder kept = new StringBuilder(n);
    for (int i = 0; i < n; ) {
      int cp = name.codePointAt(i);
      if (!SandboxPaths.isDefaultIgnorable(cp)) {
        kept.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
    }
    int end = kept.length();
    while (end > 0 && (kept.charAt(end - 1) == '.' || kept.charAt(end - 1) == ' ')) {
      end--;
    }
    String cased = kept.substring(0, end).toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
    return Normalizer.normalize(cased, Normalizer.Form.NFC);
  }
}
