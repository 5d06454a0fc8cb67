package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code apply_patch}: applies a patch in OpenAI's V4A format (the one Codex and GPT-4.1 and later
 * are trained on) to any number of files, all or none. Every operation is checked and computed in
 * memory first; only then are files written, through the sandbox (so its path confinement
 * applies), and if a write fails the files already written are put back.
 *
 * <p>Hunks are placed as Codex places them: {@code @@} anchors are looked for in order from the
 * previous hunk on, then the hunk's old lines, by the {@link Fuzzy} cascade; a hunk marked
 * {@code *** End of File} is tried at the end first. Where this differs from Codex it fails closed or
 * keeps the file as it was: a hunk without anchor whose context matches several places is refused
 * (Codex takes the first), a pure insertion after an anchor goes right after it (Codex appends at
 * the end of the file), CRLF files stay CRLF, and a file without a final newline keeps lacking one.
 */
final class ApplyPatch implements Tool {
  static final String NAME = "apply_patch";
  static final int MAX_RESULT_LINES = 40;
  private static final Logger LOG = LoggerFactory.getLogger(ApplyPatch.class);

  private static final ToolDefinition DEFINITION = new ToolDefinition(NAME,
      """
      Use the `apply_patch` tool to edit files. Your patch language is a stripped-down, file-oriented diff format:

      *** Begin Patch
      [ one or more file sections ]
      *** End Patch

      Each file section starts with one of three headers:
      *** Add File: <path> - create a new file. Every following line is a + line (the initial contents).
      *** Delete File: <path> - remove an existing file. Nothing follows.
      *** Update File: <path> - patch an existing file in place, optionally followed by *** Move to: <new path> to rename it.
      An update has one or more hunks, each introduced by @@ (optionally followed by a line of the file, such as a \
      function or class header, to jump to). Within a hunk each line starts with ' ' (unchanged context), '-' \
      (removed) or '+' (added). Show 3 lines of context above and below each change; if that is not unique in the \
      file, add '@@ <line>' naming the enclosing function, component or CSS rule (several @@ lines narrow it step \
      by step). End a hunk that reaches the end of the file with *** End of File.

      Example:
      *** Begin Patch
      *** Add File: src/hello.js
      +export const hello = "Hello world";
      *** Update File: src/App.jsx
      @@ function App() {
      -  const [count, setCount] = useState(0)
      +  const [count, setCount] = useState(10)
      *** Delete File: src/obsolete.css
      *** End Patch

      Paths are relative to the app root. The patch is applied to all files or to none.""",
      Schemas.object().string("input", "The entire contents of the apply_patch command", true).build());

  private final EditFailures failures;

  ApplyPatch(EditFailures failures) {
    this.failures = failures;
  }

  @Override
  public ToolDefinition definition() {
    return DEFINITION;
  }

  @Override
  public ToolResult execute(ToolContext context, ObjectNode args) {
    Plan plan = new Plan(context.sandbox());
    try {
      List<PatchParser.Op> ops = PatchParser.parse(BuiltinTools.text(args, "input"));
      if (ops.isEmpty()) {
        throw new InvalidArgumentException("the patch has no file operations between '*** Begin Patch' and '*** End Patch'");
      }
      for (PatchParser.Op op : ops) {
        plan.current = op.path();
        plan.add(op);
      }
      plan.commit();
      for (String path : plan.touched()) {
        failures.succeeded(context.runId(), path);
      }
      return plan.result();
    } catch (CancelledException e) {
      throw e;
    } catch (ChatBuilderException e) {
      String path = e instanceof PatchParser.SyntaxException s ? s.path() : plan.current;
      String normalized = normalizeQuietly(path);
      String message = failures.message(context.runId(), normalized, e.getMessage());
      throw message.equals(e.getMessage()) ? e : ChatBuilderException.of(e.code(), message);
    }
  }

  private static String normalizeQuietly(String path) {
    try {
      return path.isEmpty() ? "" : SandboxPaths.normalize(path);
    } catch (ChatBuilderException e) {
      return path;
    }
  }

  /** The files as the patch leaves them, computed before anything is written. */
  private static final class Plan {
    private final Sandbox sandbox;
    private final Map<String, Optional<byte[]>> original = new LinkedHashMap<>();
    private final Map<String, Optional<byte[]>> planned = new LinkedHashMap<>();
    private final List<String> report = new ArrayList<>();
    private final List<String> excerpts = new ArrayList<>();
    private final Map<Fuzzy.Level, Integer> levels = new EnumMap<>(Fuzzy.Level.class);
    private String current = "";

    Plan(Sandbox sandbox) {
      this.sandbox = sandbox;
    }

    private Optional<byte[]> read(String path) {
      if (planned.containsKey(path)) {
        return planned.get(path);
      }
      Optional<byte[]> now = original.computeIfAbsent(path, p -> sandbox.tryRead(p).map(FileContent::bytes));
      return now;
    }

    private void set(String path, Optional<byte[]> content) {
      read(path);
      planned.put(path, content);
    }

    void add(PatchParser.Op op) {
      String path = SandboxPaths.normalize(op.path());
      if (op instanceof PatchParser.Add a) {
        boolean existed = read(path).isPresent();
        set(path, Optional.of(a.content().getBytes(StandardCharsets.UTF_8)));
        report.add((existed ? "A (replaced) " : "A ") + path + " (" + Snippets.lines(a.content()).size() + " lines)");
      } else if (op instanceof PatchParser.Delete) {
        if (read(path).isEmpty()) {
          throw new NotFoundException("Delete File: " + path + " is not a file of the app (check the path with list_files)");
        }
        set(path, Optional.empty());
        report.add("D " + path);
      } else {
        update(path, (PatchParser.Update) op);
      }
    }

    private void update(String path, PatchParser.Update u) {
      Optional<byte[]> bytes = read(path);
      if (bytes.isEmpty()) {
        throw new NotFoundException("Update File: " + path + " does not exist; create a file with '*** Add File: "
            + path + "' (check the path with list_files)");
      }
      String text = FileContent.decodeText(bytes.get());
      if (text == null) {
        throw new InvalidArgumentException("Update File: " + path + " is a binary file; apply_patch only changes text files");
      }
      TextDocument document = TextDocument.decode(text);
      Patched patched = apply(document.text(), u.chunks(), path);
      byte[] result = document.withText(patched.text()).encode();
      String target = u.moveTo().isPresent() ? SandboxPaths.normalize(u.moveTo().get()) : path;
      if (!target.equals(path)) {
        set(path, Optional.empty());
      }
      set(target, Optional.of(result));
      patched.levels().forEach(l -> levels.merge(l, 1, Integer::sum));
      report.add("M " + (target.equals(path) ? path : path + " -> " + target) + ": " + String.join(", ", patched.ranges()));
      excerpts.addAll(patched.excerpts().stream().map(e -> target + "\n" + e).toList());
    }

    void commit() {
      List<String> done = new ArrayList<>();
      List<Map.Entry<String, Optional<byte[]>>> changes = new ArrayList<>();
      for (Map.Entry<String, Optional<byte[]>> e : planned.entrySet()) {
        if (!same(original.get(e.getKey()), e.getValue())) {
          changes.add(e);
        }
      }
      // Deletions first, so a file can make way for a directory of the same name and back.
      changes.sort(Comparator.comparing(e -> e.getValue().isPresent()));
      try {
        for (Map.Entry<String, Optional<byte[]>> e : changes) {
          if (e.getValue().isPresent()) {
            sandbox.write(e.getKey(), e.getValue().get());
          } else {
            sandbox.delete(e.getKey());
          }
          done.add(e.getKey());
        }
      } catch (ChatBuilderException e) {
        List<String> unrestored = rollBack(done);
        throw ChatBuilderException.of(e.code(), "the patch could not be written: " + e.getMessage() + "; "
            + (unrestored.isEmpty() ? "no file was changed" : "these files could not be put back: " + unrestored));
      }
    }

    private List<String> rollBack(List<String> done) {
      List<String> failed = new ArrayList<>();
      for (int i = done.size() - 1; i >= 0; i--) {
        String path = done.get(i);
        try {
          Optional<byte[]> before = original.get(path);
          if (before.isPresent()) {
            sandbox.write(path, before.get());
          } else {
            sandbox.delete(path);
          }
        } catch (ChatBuilderException e) {
          LOG.warn("apply_patch could not put back {}: {}", path, e.getMessage());
          failed.add(path);
        }
      }
      return failed;
    }

    private static boolean same(Optional<byte[]> a, Optional<byte[]> b) {
      return a.isPresent() == b.isPresent() && (a.isEmpty() || Arrays.equals(a.get(), b.get()));
    }

    List<String> touched() {
      return List.copyOf(planned.keySet());
    }

    ToolResult result() {
      StringBuilder content = new StringBuilder("Applied the patch:\n");
      report.forEach(r -> content.append(r).append('\n'));
      levels.forEach((level, count) -> {
        if (level != Fuzzy.Level.EXACT) {
          content.append(count).append(count == 1 ? " hunk" : " hunks").append(" matched ").append(level.description())
              .append(".\n");
        }
      });
      int shown = 0;
      for (String e : excerpts) {
        long lines = e.chars().filter(c -> c == '\n').count();
        if (shown + lines > MAX_RESULT_LINES) {
          content.append("(more changes not shown)\n");
          break;
        }
        content.append(e);
        shown += (int) lines;
      }
      String summary = "patched " + String.join(", ", report.stream().map(r -> r.replaceAll(":.*| \\(.*", "")).toList());
      return new ToolResult(content.toString(), summary.length() > 200 ? summary.substring(0, 199) + "…" : summary,
          touched(), false);
    }
  }

  /** An updated text, the line ranges of its hunks in the new text, and the levels that matched. */
  record Patched(String text, List<String> ranges, List<String> excerpts, List<Fuzzy.Level> levels) {}

  private record Replacement(int start, int length, List<String> lines) {}

  static Patched apply(String text, List<PatchParser.Chunk> chunks, String path) {
    List<String> lines = new ArrayList<>(Snippets.lines(text));
    boolean trailingNewline = text.isEmpty() || text.endsWith("\n");
    Map<Fuzzy.Level, List<String>> normalized = new EnumMap<>(Fuzzy.Level.class);
    Replacer replacer = new Replacer(lines);
    List<Replacement> replacements = new ArrayList<>();
    List<Fuzzy.Level> used = new ArrayList<>();
    int cursor = 0;
    for (int c = 0; c < chunks.size(); c++) {
      PatchParser.Chunk chunk = chunks.get(c);
      String which = chunks.size() == 1 ? "the hunk" : "hunk " + (c + 1) + " of " + chunks.size();
      for (String anchor : chunk.anchors()) {
        Optional<Found> at = seek(lines, normalized, List.of(anchor), cursor, false, false, path, which);
        if (at.isEmpty()) {
          throw notFound(path, which, "the @@ line '" + anchor.strip() + "'", lines, List.of(anchor), cursor);
        }
        cursor = at.get().start() + 1;
      }
      if (chunk.oldLines().isEmpty()) {
        int at = !chunk.anchors().isEmpty() ? cursor
            : !lines.isEmpty() && lines.get(lines.size() - 1).isEmpty() ? lines.size() - 1 : lines.size();
        replacements.add(new Replacement(at, 0, chunk.newLines()));
        used.add(Fuzzy.Level.EXACT);
        continue;
      }
      List<String> pattern = chunk.oldLines();
      List<String> neu = chunk.newLines();
      boolean unique = chunk.anchors().isEmpty();
      Optional<Found> found = seek(lines, normalized, pattern, cursor, chunk.endOfFile(), unique, path, which);
      if (found.isEmpty() && pattern.get(pattern.size() - 1).isEmpty()) {
        // A final empty context line usually stands for the file's last newline.
        pattern = pattern.subList(0, pattern.size() - 1);
        if (!neu.isEmpty() && neu.get(neu.size() - 1).isEmpty()) {
          neu = neu.subList(0, neu.size() - 1);
        }
        if (!pattern.isEmpty()) {
          found = seek(lines, normalized, pattern, cursor, chunk.endOfFile(), unique, path, which);
        }
      }
      if (found.isEmpty()) {
        throw notFound(path, which, "its lines", lines, chunk.oldLines(), cursor);
      }
      int start = found.get().start();
      List<String> region = lines.subList(start, start + pattern.size());
      replacements.add(new Replacement(start, pattern.size(), replacer.replace(region, pattern, neu, found.get().level())));
      used.add(found.get().level());
      cursor = start + pattern.size();
    }
    replacements.sort(Comparator.comparingInt(Replacement::start));
    List<String> out = new ArrayList<>(lines.size());
    List<int[]> newRanges = new ArrayList<>();
    int next = 0;
    for (Replacement r : replacements) {
      if (r.start() < next) {
        throw new InvalidArgumentException("two hunks of the patch for " + path + " change the same lines (around line "
            + (r.start() + 1) + "); merge them into one hunk");
      }
      out.addAll(lines.subList(next, r.start()));
      newRanges.add(new int[] {out.size(), out.size() + r.lines().size(), r.length()});
      out.addAll(r.lines());
      next = r.start() + r.length();
    }
    out.addAll(lines.subList(next, lines.size()));
    String result = out.isEmpty() ? "" : String.join("\n", out) + (trailingNewline ? "\n" : "");
    List<String> ranges = new ArrayList<>();
    List<String> excerpts = new ArrayList<>();
    for (int[] r : newRanges) {
      ranges.add(r[1] > r[0] ? Snippets.range(r[0], r[1]) : Snippets.range(r[0], r[0]) + " (removed)");
      excerpts.add(Snippets.excerpt(out, r[0] - 1, Math.max(r[1], r[0]) + 1, 12));
    }
    return new Patched(result, ranges, excerpts, used);
  }

  private record Found(int start, Fuzzy.Level level) {}

  /**
   * Codex's {@code seek_sequence} with ambiguity checked: each level in turn, first at the end of
   * the file for an end-of-file hunk, then from {@code from} on.
   */
  private static Optional<Found> seek(List<String> lines, Map<Fuzzy.Level, List<String>> normalized, List<String> pattern,
      int from, boolean endOfFile, boolean unique, String path, String which) {
    boolean content = Fuzzy.hasContent(pattern);
    if (endOfFile && lines.size() >= pattern.size()) {
      int at = lines.size() - pattern.size();
      for (Fuzzy.Level level : Fuzzy.Level.CASCADE) {
        if (level != Fuzzy.Level.EXACT && !content) {
          break;
        }
        List<Integer> found = Fuzzy.findAll(norm(lines, normalized, level), pattern, at, level);
        if (!found.isEmpty()) {
          return Optional.of(new Found(at, level));
        }
      }
    }
    for (Fuzzy.Level level : Fuzzy.Level.CASCADE) {
      if (level != Fuzzy.Level.EXACT && !content) {
        break;
      }
      List<Integer> found = Fuzzy.findAll(norm(lines, normalized, level), pattern, from, level);
      if (found.isEmpty()) {
        continue;
      }
      if (unique && found.size() > 1) {
        List<Integer> shown = found.subList(0, Math.min(found.size(), StringEdit.MAX_LISTED_MATCHES));
        throw new InvalidArgumentException("the context of " + which + " for " + path + " matches " + found.size()
            + " places" + (from > 0 ? " after line " + from : "") + ", starting at lines "
            + String.join(", ", shown.stream().map(i -> String.valueOf(i + 1)).toList())
            + (found.size() > shown.size() ? ", …" : "") + ". Add an '@@ <line>' anchor above the hunk naming the "
            + "enclosing function, component or rule, or more context lines, so that it matches one place.");
      }
      return Optional.of(new Found(found.get(0), level));
    }
    return Optional.empty();
  }

  private static List<String> norm(List<String> lines, Map<Fuzzy.Level, List<String>> cache, Fuzzy.Level level) {
    return cache.computeIfAbsent(level, l -> Fuzzy.normalizeAll(lines, l));
  }

  private static InvalidArgumentException notFound(String path, String which, String what, List<String> lines,
      List<String> pattern, int from) {
    StringBuilder message = new StringBuilder("could not find ").append(what).append(" of ").append(which).append(" in ")
        .append(path).append(from > 0 ? " after line " + from : "")
        .append(", not even when ignoring whitespace and Unicode punctuation. Expected:\n");
    pattern.stream().limit(StringEdit.MAX_CLOSEST_LINES).forEach(l -> message.append(Snippets.cut(l)).append('\n'));
    List<String> searched = lines.subList(Math.min(from, lines.size()), lines.size());
    Optional<Similarity.Region> closest = Similarity.closest(searched, pattern);
    if (closest.isPresent() && closest.get().score() > 0.2) {
      Similarity.Region r = closest.get();
      int start = r.start() + Math.min(from, lines.size());
      message.append("The most similar part of the file is ").append(Snippets.range(start, start + r.length()))
          .append(":\n").append(Snippets.excerpt(lines, start, start + r.length(), StringEdit.MAX_CLOSEST_LINES));
    }
    message.append("Copy the context and '-' lines exactly from the file as it is now (read_file shows it) and send "
        + "the whole patch again; nothing was changed.");
    return new InvalidArgumentException(message.toString());
  }
}
