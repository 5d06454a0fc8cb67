package io.chatbuilder.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.internal.LineDiff;
import io.chatbuilder.core.json.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Derives, from a file's text before and after a change, the tool calls each tool set needs, the
 * way a careful model writes them: {@code edit_file} quotes the changed lines with just enough
 * context to match one place (several changes in one call; a symbol renamed everywhere as
 * {@code replace_all}); {@code apply_patch} writes V4A hunks with three lines of context and an
 * {@code @@} anchor (or {@code *** End of File}) where the context alone is not unique;
 * {@code write_file} sends the whole new file. A {@link ModelView} then distorts what the model
 * quotes (dropped trailing spaces, ASCII quotes, its own indentation, a misremembered word).
 */
final class EditDerivation {
  static final JsonCodec JSON = new JsonCodec();
  static final int PATCH_CONTEXT = 3;

  private EditDerivation() {}

  /** One tool call: the tool's name and its arguments. */
  record Call(String tool, ObjectNode args) {
    /** Bytes of the arguments as the model sends them (compact JSON, UTF-8). */
    int bytes() {
      return args.toString().getBytes(StandardCharsets.UTF_8).length;
    }
  }

  /** What happens to one file: {@code from} absent for a new file, {@code after} absent for a deleted one. */
  record FileOp(Optional<String> from, String path, Optional<String> before, Optional<String> after) {
    static FileOp modify(String path, String before, String after) {
      return new FileOp(Optional.empty(), path, Optional.of(before), Optional.of(after));
    }

    static FileOp move(String from, String to, String before, String after) {
      return new FileOp(Optional.of(from), to, Optional.of(before), Optional.of(after));
    }

    static FileOp delete(String path, String before) {
      return new FileOp(Optional.empty(), path, Optional.of(before), Optional.empty());
    }

    static FileOp add(String path, String after) {
      return new FileOp(Optional.empty(), path, Optional.empty(), Optional.of(after));
    }

    String source() {
      return from.orElse(path);
    }
  }

  /** A changed run of lines: {@code [b0, b1)} of the old text became {@code [a0, a1)} of the new one. */
  record Hunk(int b0, int b1, int a0, int a1) {}

  static List<Hunk> hunks(List<String> before, List<String> after) {
    List<Hunk> out = new ArrayList<>();
    int b = 0;
    int a = 0;
    int hb = -1;
    int ha = -1;
    for (LineDiff.Edit e : LineDiff.edits(before, after)) {
      if (e.op() == ' ') {
        if (hb >= 0) {
          out.add(new Hunk(hb, b, ha, a));
          hb = -1;
        }
        b++;
        a++;
      } else {
        if (hb < 0) {
          hb = b;
          ha = a;
        }
        if (e.op() == '-') {
          b++;
        } else {
          a++;
        }
      }
    }
    if (hb >= 0) {
      out.add(new Hunk(hb, b, ha, a));
    }
    return out;
  }

  /** Hunks closer than {@code gap} unchanged lines become one. */
  static List<Hunk> merge(List<Hunk> hunks, int gap) {
    List<Hunk> out = new ArrayList<>();
    for (Hunk h : hunks) {
      if (!out.isEmpty() && h.b0() - out.get(out.size() - 1).b1() <= gap) {
        Hunk last = out.remove(out.size() - 1);
        out.add(new Hunk(last.b0(), h.b1(), last.a0(), h.a1()));
      } else {
        out.add(h);
      }
    }
    return out;
  }

  static List<String> lines(String text) {
    List<String> all = new ArrayList<>(List.of(text.split("\n", -1)));
    if (text.endsWith("\n")) {
      all.remove(all.size() - 1);
    }
    if (text.isEmpty()) {
      all.clear();
    }
    return all;
  }

  static int occurrences(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  private static String join(List<String> lines) {
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
  }

  // ---- write_file ----

  static List<Call> writeFile(FileOp op) {
    List<Call> calls = new ArrayList<>();
    op.after.ifPresent(a -> calls.add(new Call("write_file", JSON.objectNode().put("path", op.path).put("content", a))));
    if (op.after.isEmpty() || op.from.isPresent()) {
      calls.add(new Call("delete_file", JSON.objectNode().put("path", op.source())));
    }
    return calls;
  }

  // ---- edit_file ----

  /**
   * The {@code edit_file} calls (with {@code rename_file}, {@code delete_file} or
   * {@code write_file} where the change is not an edit). {@code minimal}: the model quotes only
   * the changed lines (one neighbour for an insertion), unique or not.
   */
  static List<Call> editFile(FileOp op, ModelView view, boolean minimal) {
    List<Call> calls = new ArrayList<>();
    if (op.before.isEmpty()) {
      calls.add(new Call("write_file", JSON.objectNode().put("path", op.path).put("content", op.after.get())));
      return calls;
    }
    if (op.after.isEmpty()) {
      calls.add(new Call("delete_file", JSON.objectNode().put("path", op.path)));
      return calls;
    }
    if (op.from.isPresent()) {
      calls.add(new Call("rename_file", JSON.objectNode().put("from", op.from.get()).put("to", op.path)));
    }
    String before = op.before.get();
    String after = op.after.get();
    if (before.equals(after)) {
      return calls;
    }
    Optional<String[]> rename = renamedSymbol(before, after);
    List<String[]> edits = new ArrayList<>();
    boolean replaceAll = false;
    if (rename.isPresent()) {
      edits.add(rename.get());
      replaceAll = true;
    } else {
      List<String> b = lines(before);
      List<String> a = lines(after);
      List<String> current = new ArrayList<>(b);
      int delta = 0;
      for (Hunk h : merge(hunks(b, a), 2)) {
        int s = h.b0() + delta;
        int e = h.b1() + delta;
        List<String> inserted = a.subList(h.a0(), h.a1());
        int up = 0;
        int down = 0;
        if (e == s || view.needsContext()) {
          if (s > 0) {
            up = 1;
          } else {
            down = 1;
          }
        }
        String text = join(current);
        while (!minimal && occurrences(text, join(current.subList(s - up, e + down))) > 1
            && (s - up > 0 || e + down < current.size())) {
          if (s - up > 0) {
            up++;
          }
          if (e + down < current.size() && occurrences(text, join(current.subList(s - up, e + down))) > 1) {
            down++;
          }
        }
        List<String> oldLines = new ArrayList<>(current.subList(s - up, e + down));
        List<String> newLines = new ArrayList<>(current.subList(s - up, s));
        newLines.addAll(inserted);
        newLines.addAll(current.subList(e, e + down));
        edits.add(new String[] {join(oldLines), join(newLines)});
        List<String> next = new ArrayList<>(current.subList(0, s - up));
        next.addAll(newLines);
        next.addAll(current.subList(e + down, current.size()));
        current = next;
        delta += inserted.size() - (e - s);
      }
    }
    ObjectNode args = JSON.objectNode().put("path", op.path);
    List<String[]> seen = new ArrayList<>();
    for (String[] edit : edits) {
      seen.add(view.edit(edit[0], edit[1]));
    }
    if (seen.size() == 1) {
      args.put("old_string", seen.get(0)[0]).put("new_string", seen.get(0)[1]);
      if (replaceAll) {
        args.put("replace_all", true);
      }
    } else {
      ArrayNode list = args.putArray("edits");
      for (String[] edit : seen) {
        list.addObject().put("old_string", edit[0]).put("new_string", edit[1]);
      }
    }
    calls.add(new Call("edit_file", args));
    return calls;
  }

  /**
   * A symbol renamed everywhere, as a model would express it with {@code replace_all}: the first
   * changed line pair differs in one identifier, and replacing every occurrence of it gives
   * {@code after}, across at least three changed lines.
   */
  static Optional<String[]> renamedSymbol(String before, String after) {
    List<String> b = lines(before);
    List<String> a = lines(after);
    List<Hunk> hunks = hunks(b, a);
    if (hunks.isEmpty() || hunks.stream().mapToInt(h -> h.b1() - h.b0()).sum() < 3) {
      return Optional.empty();
    }
    Hunk first = hunks.get(0);
    if (first.b1() - first.b0() != first.a1() - first.a0()) {
      return Optional.empty();
    }
    String[] x = b.get(first.b0()).split("(?<=[^A-Za-z0-9_$-])|(?=[^A-Za-z0-9_$-])");
    String[] y = a.get(first.a0()).split("(?<=[^A-Za-z0-9_$-])|(?=[^A-Za-z0-9_$-])");
    if (x.length != y.length) {
      return Optional.empty();
    }
    for (int i = 0; i < x.length; i++) {
      if (!x[i].equals(y[i])) {
        if (before.replace(x[i], y[i]).equals(after)) {
          return Optional.of(new String[] {x[i], y[i]});
        }
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  // ---- apply_patch ----

  /** One {@code apply_patch} call for the change; {@code minimal}: no context and no anchor. */
  static List<Call> applyPatch(FileOp op, ModelView view, boolean minimal) {
    StringBuilder p = new StringBuilder("*** Begin Patch\n");
    if (op.before.isEmpty()) {
      p.append("*** Add File: ").append(op.path).append('\n');
      lines(op.after.get()).forEach(l -> p.append('+').append(l).append('\n'));
    } else if (op.after.isEmpty()) {
      p.append("*** Delete File: ").append(op.path).append('\n');
    } else {
      p.append("*** Update File: ").append(op.source()).append('\n');
      op.from.ifPresent(f -> p.append("*** Move to: ").append(op.path).append('\n'));
      for (Chunk c : chunks(lines(op.before.get()), lines(op.after.get()), minimal)) {
        view.chunk(c).forEach(l -> p.append(l).append('\n'));
      }
    }
    p.append("*** End Patch\n");
    return List.of(new Call("apply_patch", JSON.objectNode().put("input", p.toString())));
  }

  /** A V4A hunk: anchors, lines with their prefix, whether it ends the file. */
  record Chunk(List<String> anchors, List<String> lines, boolean endOfFile) {
    List<String> oldLines() {
      return lines.stream().filter(l -> !l.startsWith("+")).map(l -> l.substring(1)).toList();
    }
  }

  static List<Chunk> chunks(List<String> before, List<String> after, boolean minimal) {
    List<Chunk> out = new ArrayList<>();
    int context = minimal ? 0 : PATCH_CONTEXT;
    List<Hunk> groups = merge(hunks(before, after), 2 * context);
    int cursor = 0;
    for (int g = 0; g < groups.size(); g++) {
      Hunk h = groups.get(g);
      int nextStart = g + 1 < groups.size() ? groups.get(g + 1).b0() : before.size();
      int cs = Math.max(cursor, h.b0() - context);
      int ce = Math.min(nextStart, h.b1() + context);
      if (h.b0() == h.b1() && cs == ce) {
        // an insertion needs a line to hang on
        if (cs > cursor) {
          cs--;
        } else if (ce < nextStart) {
          ce++;
        }
      }
      List<String> anchors = new ArrayList<>();
      boolean eof = false;
      if (!minimal) {
        for (int extra = 0; ; extra++) {
          List<String> old = before.subList(cs, ce);
          if (firstMatch(before, old, cursor) == cs && matches(before, old, cursor) == 1) {
            break;
          }
          if (ce == before.size() && lastMatchAtEnd(before, old)) {
            eof = true;
            break;
          }
          Optional<Integer> anchor = anchor(before, old, cursor, cs);
          if (anchor.isPresent()) {
            anchors.add(before.get(anchor.get()));
            break;
          }
          if (extra >= 6 || (cs == cursor && ce == nextStart)) {
            break; // nothing left to make it unique; the patch will be refused
          }
          cs = Math.max(cursor, cs - 1);
          ce = Math.min(nextStart, ce + 1);
        }
      }
      List<String> lines = new ArrayList<>();
      before.subList(cs, h.b0()).forEach(l -> lines.add(" " + l));
      // the changed lines of the group, in diff order
      List<String> b = before.subList(h.b0(), h.b1());
      List<String> a = after.subList(h.a0(), h.a1());
      for (LineDiff.Edit e : LineDiff.edits(b, a)) {
        lines.add((e.op() == ' ' ? " " : String.valueOf(e.op())) + e.line());
      }
      before.subList(h.b1(), ce).forEach(l -> lines.add(" " + l));
      out.add(new Chunk(anchors, lines, eof));
      cursor = ce;
    }
    return out;
  }

  private static boolean lastMatchAtEnd(List<String> lines, List<String> pattern) {
    return pattern.size() <= lines.size() && lines.subList(lines.size() - pattern.size(), lines.size()).equals(pattern);
  }

  private static int firstMatch(List<String> lines, List<String> pattern, int from) {
    for (int i = from; i + pattern.size() <= lines.size(); i++) {
      if (lines.subList(i, i + pattern.size()).equals(pattern)) {
        return i;
      }
    }
    return -1;
  }

  private static int matches(List<String> lines, List<String> pattern, int from) {
    int n = 0;
    for (int i = from; i + pattern.size() <= lines.size(); i++) {
      if (lines.subList(i, i + pattern.size()).equals(pattern)) {
        n++;
      }
    }
    return n;
  }

  /**
   * The nearest line above the hunk that, as an {@code @@} anchor, leads to it: preferably one
   * indented less than the hunk (its function, component or rule), else any.
   */
  private static Optional<Integer> anchor(List<String> lines, List<String> old, int cursor, int cs) {
    int indent = Integer.MAX_VALUE;
    for (String l : old) {
      if (!l.isBlank()) {
        indent = Math.min(indent, l.length() - l.stripLeading().length());
      }
    }
    Optional<Integer> any = Optional.empty();
    for (int a = cs - 1; a >= cursor; a--) {
      String line = lines.get(a);
      if (line.isBlank() || firstMatch(lines, List.of(line), cursor) != a || firstMatch(lines, old, a + 1) != cs) {
        continue;
      }
      if (line.length() - line.stripLeading().length() < indent) {
        return Optional.of(a);
      }
      if (any.isEmpty()) {
        any = Optional.of(a);
      }
    }
    return any;
  }

  /** How the model's copy of the file differs from the file. */
  interface ModelView {
    ModelView EXACT = line -> line;

    String line(String line);

    /** Whether quotes start with one line of context even when the changed lines are unique. */
    default boolean needsContext() {
      return false;
    }

    default String[] edit(String oldString, String newString) {
      return new String[] {mapLines(oldString, this::line), mapLines(newString, this::line)};
    }

    default List<String> chunk(Chunk c) {
      List<String> out = new ArrayList<>();
      c.anchors().forEach(a -> out.add("@@ " + line(a)));
      if (c.anchors().isEmpty()) {
        out.add("@@");
      }
      c.lines().forEach(l -> out.add(l.charAt(0) + line(l.substring(1))));
      if (c.endOfFile()) {
        out.add("*** End of File");
      }
      return out;
    }

    static String mapLines(String text, UnaryOperator<String> f) {
      if (text.isEmpty()) {
        return text;
      }
      StringBuilder out = new StringBuilder();
      List<String> ls = lines(text);
      for (String l : ls) {
        out.append(f.apply(l)).append('\n');
      }
      return text.endsWith("\n") ? out.toString() : out.substring(0, out.length() - 1);
    }
  }
}
