package io.chatbuilder.core.tool;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Parses OpenAI's V4A patch format, the input of Codex's {@code apply_patch}:
 *
 * <pre>
 * Patch      := "*** Begin Patch" NL { FileOp } "*** End Patch" NL?
 * FileOp     := AddFile | DeleteFile | UpdateFile
 * AddFile    := "*** Add File: " path NL { "+" line NL }
 * DeleteFile := "*** Delete File: " path NL
 * UpdateFile := "*** Update File: " path NL [ "*** Move to: " path NL ] { Hunk }
 * Hunk       := { "@@" [ " " anchor ] NL } { (" " | "-" | "+") line NL } [ "*** End of File" NL ]
 * </pre>
 *
 * As lenient as Codex's parser: markers may carry surrounding whitespace, the first hunk may omit
 * its {@code @@}, an empty line inside a hunk is an empty context line, and a patch wrapped in a
 * {@code <<'EOF'} heredoc (as GPT-4.1 sometimes sends it) is unwrapped. Beyond Codex: several
 * consecutive {@code @@} anchor lines narrow the position step by step, as OpenAI's instructions
 * describe; a unified-diff header such as {@code @@ -12,7 +12,8 @@} counts as no anchor; blank lines
 * between file operations are skipped.
 */
final class PatchParser {
  static final String BEGIN = "*** Begin Patch";
  static final String END = "*** End Patch";
  static final String ADD = "*** Add File: ";
  static final String DELETE = "*** Delete File: ";
  static final String UPDATE = "*** Update File: ";
  static final String MOVE = "*** Move to: ";
  static final String EOF = "*** End of File";

  private static final Pattern UNIFIED_HEADER = Pattern.compile("-\\d+(,\\d+)? \\+\\d+(,\\d+)? @@.*");

  private PatchParser() {}

  sealed interface Op permits Add, Delete, Update {
    String path();
  }

  record Add(String path, String content) implements Op {}

  record Delete(String path) implements Op {}

  record Update(String path, Optional<String> moveTo, List<Chunk> chunks) implements Op {}

  /** One hunk: anchors to seek first, the lines it expects and the lines it leaves, its patch line. */
  record Chunk(List<String> anchors, List<String> oldLines, List<String> newLines, boolean endOfFile, int line) {}

  /** A patch that cannot be parsed; {@link #path()} names the file section it was in, if any. */
  static final class SyntaxException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;
    private final String path;

    SyntaxException(String message, String path) {
      super(message);
      this.path = path;
    }

    String path() {
      return path;
    }
  }

  static List<Op> parse(String patch) {
    List<String> all = new ArrayList<>(List.of(TextDocument.modelText(patch).strip().split("\n", -1)));
    int firstLine = 1;
    if (!bounded(all)) {
      if (all.size() >= 4 && isHeredocStart(all.get(0)) && all.get(all.size() - 1).strip().endsWith("EOF")
          && bounded(all.subList(1, all.size() - 1))) {
        all = all.subList(1, all.size() - 1);
        firstLine = 2;
      } else if (all.isEmpty() || !all.get(0).strip().equals(BEGIN)) {
        throw new SyntaxException("invalid patch: the first line must be '" + BEGIN + "'", "");
      } else {
        throw new SyntaxException("invalid patch: the last line must be '" + END + "'", "");
      }
    }
    return new PatchParser.Reader(all.subList(1, all.size() - 1), firstLine + 1).ops();
  }

  private static boolean bounded(List<String> lines) {
    return lines.size() >= 2 && lines.get(0).strip().equals(BEGIN) && lines.get(lines.size() - 1).strip().equals(END);
  }

  private static boolean isHeredocStart(String line) {
    String l = line.strip();
    return l.equals("<<EOF") || l.equals("<<'EOF'") || l.equals("<<\"EOF\"");
  }

  private static final class Reader {
    private final List<String> lines;
    private final int firstLine;
    private int i;

    Reader(List<String> lines, int firstLine) {
      this.lines = lines;
      this.firstLine = firstLine;
    }

    private int lineNumber() {
      return firstLine + i;
    }

    List<Op> ops() {
      List<Op> ops = new ArrayList<>();
      while (i < lines.size()) {
        String marker = lines.get(i).strip();
        if (marker.isEmpty()) {
          i++;
        } else if (marker.startsWith(ADD)) {
          ops.add(add(path(marker, ADD)));
        } else if (marker.startsWith(DELETE)) {
          ops.add(new Delete(path(marker, DELETE)));
          i++;
        } else if (marker.startsWith(UPDATE)) {
          ops.add(update(path(marker, UPDATE)));
        } else {
          String previous = ops.isEmpty() ? "" : ops.get(ops.size() - 1).path();
          String hint = !ops.isEmpty() && ops.get(ops.size() - 1) instanceof Add
              ? " (every line of an added file starts with '+')"
              : !ops.isEmpty() && ops.get(ops.size() - 1) instanceof Update
                  ? " (every line of a hunk starts with ' ' for an unchanged line, '-' or '+')"
                  : "";
          throw new SyntaxException("invalid patch at line " + lineNumber() + ": '" + Snippets.cut(lines.get(i))
              + "' is not a file operation" + hint + "; expected '" + ADD + "<path>', '" + UPDATE + "<path>' or '"
              + DELETE + "<path>'", previous);
        }
      }
      return ops;
    }

    private String path(String marker, String prefix) {
      String path = marker.substring(prefix.length()).strip();
      if (path.isEmpty()) {
        throw new SyntaxException("invalid patch at line " + lineNumber() + ": '" + prefix.strip() + "' needs a path", "");
      }
      return path;
    }

    private Add add(String path) {
      i++;
      StringBuilder content = new StringBuilder();
      while (i < lines.size() && lines.get(i).startsWith("+")) {
        content.append(lines.get(i), 1, lines.get(i).length()).append('\n');
        i++;
      }
      return new Add(path, content.toString());
    }

    private Update update(String path) {
      i++;
      Optional<String> moveTo = Optional.empty();
      if (i < lines.size() && lines.get(i).strip().startsWith(MOVE)) {
        moveTo = Optional.of(path(lines.get(i).strip(), MOVE));
        i++;
      }
      List<Chunk> chunks = new ArrayList<>();
      while (i < lines.size()) {
        String line = lines.get(i);
        if (line.isBlank()) {
          i++;
          continue;
        }
        if (line.startsWith("*")) {
          break;
        }
        chunks.add(chunk(path, chunks.isEmpty()));
      }
      if (chunks.isEmpty()) {
        throw new SyntaxException("invalid patch: '" + UPDATE + path + "' has no hunks; give at least one '@@' hunk "
            + "with the lines to change", path);
      }
      return new Update(path, moveTo, chunks);
    }

    private Chunk chunk(String path, boolean first) {
      int start = lineNumber();
      List<String> anchors = new ArrayList<>();
      boolean marked = false;
      while (i < lines.size() && isAnchor(lines.get(i))) {
        String text = lines.get(i).startsWith("@@ ") ? lines.get(i).substring(3) : "";
        if (!text.isBlank() && !UNIFIED_HEADER.matcher(text.strip()).matches()) {
          anchors.add(text);
        }
        marked = true;
        i++;
      }
      if (!marked && !first) {
        throw new SyntaxException("invalid patch at line " + lineNumber() + " (in " + path + "): '"
            + Snippets.cut(lines.get(i)) + "' does not start with ' ', '-' or '+'. Every line of a hunk needs one: a "
            + "space for an unchanged line, '-' for a removed one, '+' for an added one; start a new hunk with '@@'.", path);
      }
      List<String> oldLines = new ArrayList<>();
      List<String> newLines = new ArrayList<>();
      boolean endOfFile = false;
      int parsed = 0;
      while (i < lines.size()) {
        String line = lines.get(i);
        if (line.strip().equals(EOF)) {
          if (parsed == 0) {
            throw new SyntaxException("invalid patch at line " + lineNumber() + " (in " + path + "): the hunk has no "
                + "lines before '" + EOF + "'", path);
          }
          endOfFile = true;
          i++;
          break;
        }
        if (line.isEmpty()) {
          oldLines.add("");
          newLines.add("");
        } else {
          char c = line.charAt(0);
          if (c == ' ') {
            oldLines.add(line.substring(1));
            newLines.add(line.substring(1));
          } else if (c == '-') {
            oldLines.add(line.substring(1));
          } else if (c == '+') {
            newLines.add(line.substring(1));
          } else if (parsed == 0) {
            throw new SyntaxException("invalid patch at line " + lineNumber() + " (in " + path + "): '"
                + Snippets.cut(line) + "' does not start with ' ', '-' or '+'. Every line of a hunk needs one: a space "
                + "for an unchanged line, '-' for a removed one, '+' for an added one.", path);
          } else {
            break;
          }
        }
        parsed++;
        i++;
      }
      if (parsed == 0) {
        throw new SyntaxException("invalid patch at line " + lineNumber() + " (in " + path + "): the hunk has no lines",
            path);
      }
      return new Chunk(List.copyOf(anchors), List.copyOf(oldLines), List.copyOf(newLines), endOfFile, start);
    }

    private static boolean isAnchor(String line) {
      return line.startsWith("@@ ") || (line.startsWith("@@") && line.strip().equals("@@"));
    }
  }
}
