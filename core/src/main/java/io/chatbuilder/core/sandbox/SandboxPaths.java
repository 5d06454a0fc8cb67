package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.PathRefusedException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Set;

/**
 * Validates and normalizes the relative paths the agent and the host pass to a sandbox. Every
 * sandbox implementation calls {@link #normalize} first; file-system specific checks (symlinks)
 * come after.
 *
 * <p>Refused, with {@link PathRefusedException} and the reason:
 * <ul>
 *   <li>absolute paths, {@code ..}, {@code \}, percent-encoded separators, Windows device names and
 *       the characters Windows forbids in file names;
 *   <li>code points that make a name look like another or hide part of it: C0 and C1 controls,
 *       bidirectional controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069), default-ignorable and
 *       other format characters (zero-width characters, U+00AD, U+FEFF, variation selectors, tag
 *       characters), line and paragraph separators, lone surrogates, noncharacters and code points
 *       this JVM's Unicode tables do not assign; the message names the code point ({@code U+202E});
 *   <li>names not in Unicode normalization form C. Refused rather than normalized, so two names that
 *       look the same ({@code café} with a precomposed or a combining accent) can never both exist and
 *       a path means exactly the bytes on disk;
 *   <li>the SDK's own names, {@code .chatbuilder} and {@code .chatbuilder-*} in any letter case
 *       ({@link #isReservedName}): the file tools can neither see nor touch them.
 * </ul>
 */
public final class SandboxPaths {
  public static final int MAX_PATH_LENGTH = 1024;
  public static final int MAX_SEGMENT_BYTES = 255;

  /** The directory name the SDK keeps its own files under, and the prefix of its temporary files. */
  static final String RESERVED_NAME = ".chatbuilder";

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
    if (path.length() > MAX_PATH_LENGTH) {
      throw new PathRefusedException("path refused: longer than " + MAX_PATH_LENGTH + " characters");
    }
    String problem = characterProblem(path);
    if (problem != null) {
      throw new PathRefusedException("path refused: " + problem + ": " + printable(path));
    }
    String shown = printable(path);
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
      String segmentProblem = segmentProblem(segment);
      if (segmentProblem != null) {
        throw new PathRefusedException("path refused: " + segmentProblem + ": " + shown);
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(segment);
    }
    return out.toString();
  }

  /**
   * Whether a single directory entry name, as found on disk, can be addressed through the sandbox
   * API: everything {@link #normalize} accepts, without {@code /}. Scans and listings leave out the
   * names it refuses (a file a command created with a bidi control in its name, the SDK's own
   * files), so every path a sandbox reports can be read, written and checkpointed.
   */
  public static boolean isAcceptedName(String name) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
      return false;
    }
    return characterProblem(name) == null && segmentProblem(name) == null;
  }

  /**
   * Whether a name belongs to the SDK: {@code .chatbuilder} or {@code .chatbuilder-*}, compared the
   * way {@link Exclusions} compares names (letter case and default-ignorable characters ignored).
   */
  public static boolean isReservedName(String name) {
    String folded = Exclusions.fold(name);
    return folded.equals(RESERVED_NAME) || folded.startsWith(RESERVED_NAME + "-");
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

  // ---------------------------------------------------------------- rules

  /** The first character-level problem of {@code s}, or null. */
  private static String characterProblem(String s) {
    boolean ascii = true;
    for (int i = 0; i < s.length(); ) {
      char c = s.charAt(i);
      if (c < 0x80) {
        String problem = asciiProblem(c);
        if (problem != null) {
          return problem;
        }
        i++;
        continue;
      }
      ascii = false;
      int cp;
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        cp = Character.toCodePoint(c, s.charAt(i + 1));
      } else if (Character.isSurrogate(c)) {
        return "contains a lone surrogate " + codePoint(c) + " (not a Unicode character; is the text valid UTF-16?)";
      } else {
        cp = c;
      }
      String problem = codePointProblem(cp);
      if (problem != null) {
        return problem;
      }
      i += Character.charCount(cp);
    }
    if (!ascii && !Normalizer.isNormalized(s, Normalizer.Form.NFC)) {
      return "not in Unicode normalization form C (write it as '" + Normalizer.normalize(s, Normalizer.Form.NFC)
          + "'); names that look the same must be the same name";
    }
    return null;
  }

  private static String asciiProblem(char c) {
    if (c == 0) {
      return "contains a NUL byte (U+0000)";
    }
    if (c < 0x20 || c == 0x7f) {
      return "contains a control character " + codePoint(c);
    }
    if (c == '\\') {
      return "use '/' as the separator, not '\\'";
    }
    if (c == '<' || c == '>' || c == ':' || c == '"' || c == '|' || c == '?' || c == '*') {
      return "character '" + c + "' is not allowed in file names";
    }
    return null;
  }

  private static String codePointProblem(int cp) {
    if (cp >= 0x80 && cp <= 0x9f) {
      return "contains a control character " + codePoint(cp);
    }
    if (isBidiControl(cp)) {
      return "contains a bidirectional control character " + codePoint(cp)
          + ", which makes a name display differently from what it is";
    }
    if (isDefaultIgnorable(cp) || Character.getType(cp) == Character.FORMAT) {
      return "contains an invisible formatting character " + codePoint(cp)
          + " (zero-width, soft hyphen, variation selector, tag or similar)";
    }
    int type = Character.getType(cp);
    if (type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
      return "contains a line or paragraph separator " + codePoint(cp);
    }
    if (isNoncharacter(cp)) {
      return "contains the noncharacter " + codePoint(cp);
    }
    if (type == Character.UNASSIGNED) {
      return "contains " + codePoint(cp) + ", which is not an assigned Unicode character (in this JVM's Unicode version)";
    }
    return null;
  }

  private static String segmentProblem(String segment) {
    if (segment.endsWith(".") || segment.endsWith(" ") || segment.startsWith(" ")) {
      return "a name may not start with a space or end with '.' or a space";
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes: short names need no encoding to be measured.
    if (segment.length() > MAX_SEGMENT_BYTES / 3 && segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
      return "a name is longer than " + MAX_SEGMENT_BYTES + " bytes";
    }
    int dot = segment.indexOf('.');
    int stemLength = dot < 0 ? segment.length() : dot;
    if (stemLength >= 3 && stemLength <= 6
        && DEVICE_NAMES.contains(segment.substring(0, stemLength).toLowerCase(Locale.ROOT))) {
      return "'" + segment + "' is a reserved device name";
    }
    if (isReservedName(segment)) {
      return "'" + segment + "' is reserved for the SDK's own files (" + RESERVED_NAME + ", " + RESERVED_NAME + "-*)";
    }
    return null;
  }

  /** U+061C, U+200E, U+200F, U+202A-202E, U+2066-2069. */
  static boolean isBidiControl(int cp) {
    return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
  }

  /**
   * Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt): code points that
   * render as nothing, so file systems and fonts may drop them. Java has no accessor for it.
   */
  static boolean isDefaultIgnorable(int cp) {
    if (cp < 0x00ad) {
      return false;
    }
    return cp == 0x00ad || cp == 0x034f || cp == 0x061c || cp == 0x115f || cp == 0x1160
        || cp == 0x17b4 || cp == 0x17b5 || (cp >= 0x180b && cp <= 0x180f)
        || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f)
        || cp == 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff || cp == 0xffa0
        || (cp >= 0xfff0 && cp <= 0xfff8) || (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a)
        || (cp >= 0xe0000 && cp <= 0xe0fff);
  }

  private static boolean isNoncharacter(int cp) {
    return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
  }

  /** Whether a code point would hide or reorder text if printed as is. */
  private static boolean isHidden(int cp) {
    if (cp >= 0x20 && cp < 0x7f) {
      return false;
    }
    int type = Character.getType(cp);
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || isDefaultIgnorable(cp)
        || type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.UNASSIGNED || isNoncharacter(cp);
  }

  private static String codePoint(int cp) {
    return String.format("U+%04X", cp);
  }

  /**
   * The path for an error message: quoted, cut at 200 characters, with every character that could
   * hide or reorder text (controls, bidi, invisible, lone surrogates) shown as {@code <U+XXXX>}.
   */
  private static String printable(String path) {
    StringBuilder b = new StringBuilder();
    int limit = Math.min(path.length(), 200);
    for (int i = 0; i < limit; ) {
      int cp = path.codePointAt(i);
      boolean hidden = isHidden(cp);
      if (hidden) {
        b.append('<').append(codePoint(cp)).append('>');
      } else {
        b.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
    }
    return "'" + b + (path.length() > limit ? "…" : "") + "'";
  }
}
