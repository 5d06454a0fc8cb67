package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.PathRefusedException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Validates and normalizes the relative paths the agent and the host pass to a sandbox. Every
 * sandbox implementation calls {@link #normalize} first; file-system specific checks (symlinks)
 * come after.
 */
public final class SandboxPaths {
  public static final int MAX_PATH_LENGTH = 1024;
  public static final int MAX_SEGMENT_BYTES = 255;

  // Names Windows treats as devices in any directory and with any extension; refused everywhere so an
  // app's files can be checked out on any platform.
  private static final Set<String> DEVICE_NAMES = Set.of(
      "con", "prn", "aux", "nul", "conin$", "conout$",
      "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
      "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9");

  private SandboxPaths() {}

  /**
   * Returns the canonical form of a relative file path ({@code a/b.txt}: no leading {@code ./}, no
   * empty or {@code .} segments), or throws {@link PathRefusedException} with the reason.
   */
  public static String normalize(String path) {
    String normalized = normalizeOrRoot(path);
    if (normalized.isEmpty()) {
      throw new PathRefusedException("path refused: it names the sandbox root, not a file");
    }
    return normalized;
  }

  /** Like {@link #normalize} but accepts {@code ""} or {@code "."} for the root directory. */
  public static String normalizeOrRoot(String path) {
    if (path == null) {
      throw new PathRefusedException("path refused: missing");
    }
    String shown = printable(path);
    if (path.length() > MAX_PATH_LENGTH) {
      throw new PathRefusedException("path refused: longer than " + MAX_PATH_LENGTH + " characters");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == 0) {
        throw new PathRefusedException("path refused: contains a NUL byte: " + shown);
      }
      if (c < 0x20 || c == 0x7f) {
        throw new PathRefusedException("path refused: contains a control character: " + shown);
      }
      if (c == '\\') {
        throw new PathRefusedException("path refused: use '/' as the separator, not '\\': " + shown);
      }
      if (c == '<' || c == '>' || c == ':' || c == '"' || c == '|' || c == '?' || c == '*') {
        throw new PathRefusedException("path refused: character '" + c + "' is not allowed in file names: " + shown);
      }
    }
    if (path.startsWith("/") || path.startsWith("~")) {
      throw new PathRefusedException("path refused: absolute paths are not allowed, use a path relative to the app root: " + shown);
    }
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
      throw new PathRefusedException("path refused: percent-encoded '.', '/', '\\' or NUL: " + shown);
    }
    StringBuilder out = new StringBuilder(path.length());
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        throw new PathRefusedException("path refused: '..' would leave the app root: " + shown);
      }
      if (segment.endsWith(".") || segment.endsWith(" ") || segment.startsWith(" ")) {
        throw new PathRefusedException("path refused: a name may not start with a space or end with '.' or a space: " + shown);
      }
      if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        throw new PathRefusedException("path refused: a name is longer than " + MAX_SEGMENT_BYTES + " bytes: " + shown);
      }
      int dot = segment.indexOf('.');
      String stem = (dot < 0 ? segment : segment.substring(0, dot)).toLowerCase(Locale.ROOT);
      if (DEVICE_NAMES.contains(stem)) {
        throw new PathRefusedException("path refused: '" + segment + "' is a reserved device name: " + shown);
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(segment);
    }
    return out.toString();
  }

  /** The parent directory of a normalized path, {@code ""} for top-level files. */
  public static String parent(String normalizedPath) {
    int slash = normalizedPath.lastIndexOf('/');
    return slash < 0 ? "" : normalizedPath.substring(0, slash);
  }

  /** The last segment of a normalized path. */
  public static String fileName(String normalizedPath) {
    return normalizedPath.substring(normalizedPath.lastIndexOf('/') + 1);
  }

  /** Whether {@code path} equals {@code directory} or lies under it ({@code ""} contains everything). */
  public static boolean isWithin(String path, String directory) {
    return directory.isEmpty() || path.equals(directory) || path.startsWith(directory + "/");
  }

  private static String printable(String path) {
    StringBuilder b = new StringBuilder();
    int limit = Math.min(path.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = path.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return "'" + b + (path.length() > limit ? "…" : "") + "'";
  }
}
