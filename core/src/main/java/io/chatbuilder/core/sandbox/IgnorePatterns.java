package io.chatbuilder.core.sandbox;

import java.util.ArrayList;
import java.util.List;

/**
 * The patterns of an app's root {@code .gitignore}, with git's semantics: blank lines and
 * {@code #} comments skipped, {@code \#} {@code \!} and {@code "\ "} escapes, trailing spaces
 * dropped, {@code !} re-includes, a trailing {@code /} matches directories only, a pattern with a
 * {@code /} elsewhere is anchored to the root (otherwise it matches a name at any depth),
 * {@code *} {@code ?} and {@code [...]} never match {@code /}, and {@code **} matches any number of
 * directories (leading {@code **}{@code /}, trailing {@code /**}, inner {@code /**}{@code /}). As in
 * git, nothing under an ignored directory can be re-included. Matched case-insensitively, like the
 * default names (a checkout on macOS or Windows cannot tell the cases apart). Immutable.
 */
final class IgnorePatterns {
  static final IgnorePatterns NONE = new IgnorePatterns(List.of());
  /** Lines of a .gitignore read at most; a longer one is cut there (it is the app's own file). */
  static final int MAX_RULES = 10_000;

  /**
   * One pattern: its segments (split at {@code /}); {@code null} for a {@code **} segment. An
   * unanchored pattern has one segment and is matched against the last name of a path.
   */
  private record Rule(List<Glob> segments, boolean anchored, boolean negated, boolean directoryOnly) {}

  private final List<Rule> rules;

  private IgnorePatterns(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  boolean isEmpty() {
    return rules.isEmpty();
  }

  static IgnorePatterns parse(String text) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : text.split("\r?\n", -1)) {
      if (rules.size() >= MAX_RULES) {
        break;
      }
      Rule rule = rule(raw);
      if (rule != null) {
        rules.add(rule);
      }
    }
    return rules.isEmpty() ? NONE : new IgnorePatterns(rules);
  }

  /**
   * Whether {@code path} (normalized, relative to the root) is ignored, {@code directory} telling
   * what it is; its parent directories are checked first, as directories.
   */
  boolean ignores(String path, boolean directory) {
    if (rules.isEmpty()) {
      return false;
    }
    int slash = path.indexOf('/');
    while (slash >= 0) {
      if (matches(path.substring(0, slash), true)) {
        return true;
      }
      slash = path.indexOf('/', slash + 1);
    }
    return matches(path, directory);
  }

  private boolean matches(String path, boolean directory) {
    boolean ignored = false;
    String[] names = null;
    for (Rule rule : rules) {
      if (rule.directoryOnly && !directory || ignored != rule.negated) {
        continue; // only a rule that would change the outcome is tried
      }
      boolean hit;
      if (rule.anchored) {
        if (names == null) {
          names = path.split("/", -1);
        }
        hit = matchSegments(rule.segments, 0, names, 0, new byte[(rule.segments.size() + 1) * (names.length + 1)]);
      } else {
        hit = rule.segments.get(0).matches(path.substring(path.lastIndexOf('/') + 1));
      }
      if (hit) {
        ignored = !rule.negated;
      }
    }
    return ignored;
  }

  /**
   * Pattern segments from {@code p} against names from {@code n}; {@code **} takes zero or more
   * names (at least one when it ends the pattern: {@code a/**} is what is inside {@code a}).
   * Memoized, so it is O(segments x names).
   */
  private static boolean matchSegments(List<Glob> segments, int p, String[] names, int n, byte[] memo) {
    int key = p * (names.length + 1) + n;
    if (memo[key] != 0) {
      return memo[key] == 1;
    }
    boolean result;
    if (p == segments.size()) {
      result = n == names.length;
    } else if (segments.get(p) == null) {
      boolean last = p == segments.size() - 1;
      result = last ? n < names.length
          : matchSegments(segments, p + 1, names, n, memo) || n < names.length && matchSegments(segments, p, names, n + 1, memo);
    } else {
      result = n < names.length && segments.get(p).matches(names[n]) && matchSegments(segments, p + 1, names, n + 1, memo);
    }
    memo[key] = (byte) (result ? 1 : 2);
    return result;
  }

  private static Rule rule(String raw) {
    String line = raw;
    if (line.isEmpty() || line.startsWith("#")) {
      return null;
    }
    // trailing spaces go unless escaped with a backslash
    int end = line.length();
    while (end > 0 && line.charAt(end - 1) == ' ' && !(end >= 2 && line.charAt(end - 2) == '\\')) {
      end--;
    }
    line = line.substring(0, end);
    if (line.isEmpty()) {
      return null;
    }
    boolean negated = false;
    if (line.startsWith("!")) {
      negated = true;
      line = line.substring(1);
    } else if (line.startsWith("\\!") || line.startsWith("\\#")) {
      line = line.substring(1);
    }
    boolean directoryOnly = false;
    if (line.endsWith("/") && !line.endsWith("\\/")) {
      directoryOnly = true;
      line = line.substring(0, line.length() - 1);
    }
    if (line.isEmpty() || line.equals("/")) {
      return null;
    }
    boolean anchored = line.indexOf('/') >= 0;
    if (line.startsWith("/")) {
      line = line.substring(1);
    }
    List<Glob> segments = new ArrayList<>();
    for (String part : line.split("/", -1)) {
      if (part.equals("**")) {
        if (segments.isEmpty() || segments.get(segments.size() - 1) != null) {
          segments.add(null); // consecutive ** segments are one
        }
        continue;
      }
      Glob glob = Glob.parse(part);
      if (glob == null) {
        return null; // an unterminated [ or a trailing backslash: git never matches it
      }
      segments.add(glob);
    }
    if (segments.isEmpty()) {
      return null;
    }
    return new Rule(segments, anchored, negated, directoryOnly);
  }

  /**
   * A glob over one name: {@code *} any run, {@code ?} one character, {@code [...]} a class
   * ({@code !} or {@code ^} negates, ranges, a leading {@code ]} literal), {@code \\x} a literal x.
   * Matched with the linear backtrack-to-last-star algorithm: no pattern can make it slow.
   */
  private record Glob(int[] kinds, int[] chars, List<int[]> classes) {
    private static final int LITERAL = 0;
    private static final int ANY = 1;
    private static final int STAR = 2;
    private static final int CLASS = 3;

    static Glob parse(String text) {
      List<Integer> kinds = new ArrayList<>();
      List<Integer> chars = new ArrayList<>();
      List<int[]> classes = new ArrayList<>();
      int[] cps = text.codePoints().toArray();
      for (int i = 0; i < cps.length; i++) {
        int c = cps[i];
        if (c == '*') {
          if (kinds.isEmpty() || kinds.get(kinds.size() - 1) != STAR) {
            kinds.add(STAR);
            chars.add(0);
          }
        } else if (c == '?') {
          kinds.add(ANY);
          chars.add(0);
        } else if (c == '[') {
          int j = i + 1;
          boolean negate = j < cps.length && (cps[j] == '!' || cps[j] == '^');
          if (negate) {
            j++;
          }
          List<Integer> set = new ArrayList<>(); // pairs lo, hi
          boolean first = true;
          boolean closed = false;
          for (; j < cps.length; j++) {
            int x = cps[j];
            if (x == ']' && !first) {
              closed = true;
              break;
            }
            first = false;
            if (x == '\\') {
              if (++j == cps.length) {
                return null;
              }
              x = cps[j];
            }
            int lo = x;
            int hi = x;
            if (j + 2 < cps.length && cps[j + 1] == '-' && cps[j + 2] != ']') {
              hi = cps[j + 2] == '\\' && j + 3 < cps.length ? cps[j + 3] : cps[j + 2];
              j += cps[j + 2] == '\\' ? 3 : 2;
            }
            set.add(fold(lo));
            set.add(fold(hi));
            set.add(lo);
            set.add(hi);
          }
          if (!closed) {
            return null;
          }
          int[] cls = new int[set.size() + 1];
          cls[0] = negate ? 1 : 0;
          for (int k = 0; k < set.size(); k++) {
            cls[k + 1] = set.get(k);
          }
          kinds.add(CLASS);
          chars.add(classes.size());
          classes.add(cls);
          i = j;
        } else if (c == '\\') {
          if (i + 1 == cps.length) {
            return null;
          }
          kinds.add(LITERAL);
          chars.add(fold(cps[++i]));
        } else {
          kinds.add(LITERAL);
          chars.add(fold(c));
        }
      }
      return new Glob(kinds.stream().mapToInt(Integer::intValue).toArray(), chars.stream().mapToInt(Integer::intValue).toArray(),
          List.copyOf(classes));
    }

    boolean matches(String name) {
      int[] s = name.codePoints().toArray();
      int p = 0;
      int i = 0;
      int starP = -1;
      int starI = 0;
      while (i < s.length) {
        if (p < kinds.length && kinds[p] != STAR && one(p, s[i])) {
          p++;
          i++;
        } else if (p < kinds.length && kinds[p] == STAR) {
          starP = p++;
          starI = i;
        } else if (starP >= 0) {
          p = starP + 1;
          i = ++starI;
        } else {
          return false;
        }
      }
      while (p < kinds.length && kinds[p] == STAR) {
        p++;
      }
      return p == kinds.length;
    }

    private boolean one(int p, int c) {
      return switch (kinds[p]) {
        case ANY -> c != '/';
        case LITERAL -> chars[p] == fold(c);
        default -> inClass(classes.get(chars[p]), c);
      };
    }

    private static boolean inClass(int[] cls, int c) {
      int f = fold(c);
      boolean in = false;
      for (int k = 1; k + 3 < cls.length + 1 && !in; k += 4) {
        in = f >= cls[k] && f <= cls[k + 1] || c >= cls[k + 2] && c <= cls[k + 3];
      }
      return (cls[0] == 1) != in;
    }

    private static int fold(int c) {
      return Character.toLowerCase(Character.toUpperCase(c));
    }
  }
}
