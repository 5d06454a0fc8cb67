package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The built-in sandbox tools: {@code list_files}, {@code read_file}, {@code search_files},
 * {@code write_file}, {@code delete_file}, {@code rename_file}, {@code run_command}, and one of the
 * patch tools {@code edit_file} and {@code apply_patch} (see {@link EditTools}).
 */
public final class BuiltinTools {
  /** Longest file text returned to the model by {@code read_file}; longer files are cut with a note. */
  static final int MAX_READ_CHARS = 100_000;
  static final int MAX_LIST_ENTRIES = 1000;
  /** Command output lines forwarded as status events per call, so the UI shows progress. */
  static final int MAX_STATUS_LINES = 200;

  private BuiltinTools() {}

  /** Every built-in tool, both patch tools included. */
  public static List<Tool> all() {
    EditFailures failures = new EditFailures();
    List<Tool> tools = new ArrayList<>(common(failures));
    tools.add(new EditFile(failures));
    tools.add(new ApplyPatch(failures));
    return List.copyOf(tools);
  }

  /** The tool set for a model: the seven common tools and the patch tool {@link EditTools#forModel} picks. */
  public static List<Tool> forModel(String modelName) {
    return with(EditTools.forModel(modelName));
  }

  /** The seven common tools and the given patch tool. */
  public static List<Tool> with(EditTools editTools) {
    java.util.Objects.requireNonNull(editTools, "editTools == null");
    EditFailures failures = new EditFailures();
    List<Tool> tools = new ArrayList<>(common(failures));
    tools.add(editTools == EditTools.APPLY_PATCH ? new ApplyPatch(failures) : new EditFile(failures));
    return List.copyOf(tools);
  }

  private static List<Tool> common(EditFailures failures) {
    return List.of(new ListFiles(), new ReadFile(), new SearchFiles(), new WriteFile(failures), new DeleteFile(),
        new RenameFile(), new RunCommand());
  }

  /** The tools that cannot change anything: list, read, search. */
  public static List<Tool> readOnly() {
    return List.of(new ListFiles(), new ReadFile(), new SearchFiles());
  }

  static String text(ObjectNode args, String name) {
    JsonNode v = args.get(name);
    return v == null || v.isNull() ? "" : v.asText();
  }

  static Optional<String> optText(ObjectNode args, String name) {
    JsonNode v = args.get(name);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }

  static final class ListFiles implements Tool {
    private final ToolDefinition definition = new ToolDefinition("list_files",
        "List files and directories of the app (node_modules, dist and caches are hidden). "
            + "Returns one path per line; directories end with '/'.",
        Schemas.object()
            .string("path", "Directory relative to the app root; omit for the root.", false)
            .bool("recursive", "List everything below the directory (default true).", false)
            .build());

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      String dir = optText(args, "path").orElse("");
      boolean recursive = !args.has("recursive") || args.get("recursive").asBoolean(true);
      List<FileEntry> entries = context.sandbox().list(dir, recursive, MAX_LIST_ENTRIES + 1);
      StringBuilder out = new StringBuilder();
      int shown = Math.min(entries.size(), MAX_LIST_ENTRIES);
      for (int i = 0; i < shown; i++) {
        FileEntry e = entries.get(i);
        out.append(e.path()).append(e.kind() == FileEntry.Kind.DIRECTORY ? "/" : "  (" + e.size() + " bytes)").append('\n');
      }
      if (entries.size() > MAX_LIST_ENTRIES) {
        out.append("… more entries not shown; list a subdirectory\n");
      }
      if (entries.isEmpty()) {
        out.append("(empty)\n");
      }
      return ToolResult.of(out.toString(), shown + " entries" + (entries.size() > MAX_LIST_ENTRIES ? " (truncated)" : ""));
    }
  }

  static final class ReadFile implements Tool {
    private final ToolDefinition definition = new ToolDefinition("read_file",
        "Read a text file of the app. Returns its content; binary files are reported, not shown. For a long file, "
            + "read a range of lines with offset and limit; line_numbers prefixes each line with its number and a "
            + "tab (not part of the file: leave them out of edits).",
        Schemas.object()
            .string("path", "File path relative to the app root.", true)
            .integer("offset", "First line to return, counting from 1 (default 1).", false)
            .integer("limit", "Most lines to return (default: to the end of the file).", false)
            .bool("line_numbers", "Prefix each line with its line number and a tab (default false).", false)
            .build());

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      FileContent content = context.sandbox().read(text(args, "path"));
      if (content.binary()) {
        return ToolResult.of("(binary file, " + content.size() + " bytes; not shown)", "binary, " + content.size() + " bytes");
      }
      String text = content.text().orElse("");
      if (!args.hasNonNull("offset") && !args.hasNonNull("limit") && !args.path("line_numbers").asBoolean(false)) {
        long lines = text.isEmpty() ? 0 : text.chars().filter(c -> c == '\n').count() + (text.endsWith("\n") ? 0 : 1);
        if (text.length() > MAX_READ_CHARS) {
          return ToolResult.of(text.substring(0, MAX_READ_CHARS) + "\n… (cut: the file has " + text.length()
              + " characters in " + lines + " lines; read the rest with offset and limit, or search it)", lines + " lines (cut)");
        }
        return ToolResult.of(text, lines + " lines, " + content.size() + " bytes");
      }
      return range(args, TextDocument.decode(text).text());
    }

    private static ToolResult range(ObjectNode args, String text) {
      List<String> lines = Snippets.lines(text);
      long offset = args.hasNonNull("offset") ? args.get("offset").asLong() : 1;
      long limit = args.hasNonNull("limit") ? args.get("limit").asLong() : Long.MAX_VALUE;
      if (offset < 1) {
        throw new InvalidArgumentException("offset must be 1 or more (lines count from 1)");
      }
      if (limit < 1) {
        throw new InvalidArgumentException("limit must be 1 or more");
      }
      if (offset > Math.max(1, lines.size())) {
        throw new InvalidArgumentException("offset " + offset + " is past the end: the file has " + lines.size() + " lines");
      }
      boolean numbered = args.path("line_numbers").asBoolean(false);
      int from = (int) offset - 1;
      int to = (int) Math.min(lines.size(), offset - 1 + Math.min(limit, lines.size()));
      int width = Integer.toString(Math.max(1, to)).length();
      StringBuilder out = new StringBuilder();
      int shown = from;
      for (int i = from; i < to; i++) {
        String line = numbered ? Snippets.numbered(i + 1, width, lines.get(i)) : lines.get(i);
        if (out.length() + line.length() + 1 > MAX_READ_CHARS && i > from) {
          break;
        }
        out.append(line).append('\n');
        shown = i + 1;
      }
      if (shown < lines.size()) {
        out.append("… (lines ").append(from + 1).append('-').append(shown).append(" of ").append(lines.size())
            .append("; read on with offset ").append(shown + 1).append(")\n");
      }
      String summary = shown == from ? "empty file" : (shown - from == 1 ? "line " + shown : "lines " + (from + 1) + "-" + shown)
          + " of " + lines.size();
      return ToolResult.of(out.toString(), summary);
    }
  }

  static final class SearchFiles implements Tool {
    private final ToolDefinition definition = new ToolDefinition("search_files",
        "Search the app's text files for a literal string or a regular expression. "
            + "Returns path:line: text for each match.",
        Schemas.object()
            .string("pattern", "Text or regular expression to find.", true)
            .bool("regex", "Treat pattern as a regular expression (default false).", false)
            .bool("case_insensitive", "Ignore case (default false).", false)
            .stringArray("globs", "Only files matching one of these globs, e.g. src/**/*.jsx or *.css.", false)
            .integer("max_results", "At most this many matches (default 100).", false)
            .integer("context_lines", "Lines of context around each match (default 0, at most 5).", false)
            .build());

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      List<String> globs = new ArrayList<>();
      if (args.has("globs")) {
        args.get("globs").forEach(g -> globs.add(g.asText()));
      }
      int max = args.has("max_results") ? args.get("max_results").asInt() : 100;
      int contextLines = args.has("context_lines") ? args.get("context_lines").asInt() : 0;
      if (max < 1 || max > 1000) {
        throw new InvalidArgumentException("max_results must be between 1 and 1000");
      }
      if (contextLines < 0 || contextLines > 5) {
        throw new InvalidArgumentException("context_lines must be between 0 and 5");
      }
      SearchResult result = context.sandbox().search(new SearchQuery(text(args, "pattern"),
          args.path("regex").asBoolean(false), args.path("case_insensitive").asBoolean(false), globs, max, contextLines,
          SearchQuery.DEFAULT_TIME_LIMIT));
      StringBuilder out = new StringBuilder();
      for (SearchResult.Match m : result.matches()) {
        int line = m.line() - m.before().size();
        for (String b : m.before()) {
          out.append(m.path()).append('-').append(line++).append("- ").append(b).append('\n');
        }
        out.append(m.path()).append(':').append(m.line()).append(": ").append(m.text()).append('\n');
        line = m.line() + 1;
        for (String a : m.after()) {
          out.append(m.path()).append('-').append(line++).append("- ").append(a).append('\n');
        }
      }
      if (result.matches().isEmpty()) {
        out.append("no matches in ").append(result.filesSearched()).append(" files\n");
      }
      if (result.truncated()) {
        out.append("… more matches not shown; narrow the search\n");
      }
      return ToolResult.of(out.toString(), result.matches().size() + " matches" + (result.truncated() ? " (truncated)" : ""));
    }
  }

  static final class WriteFile implements Tool {
    private final EditFailures failures;
    private final ToolDefinition definition = new ToolDefinition("write_file",
        "Create a file of the app, or replace a whole file, with the given full content. Parent directories are "
            + "created. To change part of an existing file, prefer the patch tool.",
        Schemas.object()
            .string("path", "File path relative to the app root, e.g. src/App.jsx.", true)
            .string("content", "The complete new content of the file.", true)
            .build());

    WriteFile(EditFailures failures) {
      this.failures = failures;
    }

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      String path = SandboxPaths.normalize(text(args, "path"));
      byte[] bytes = text(args, "content").getBytes(StandardCharsets.UTF_8);
      WriteOutcome outcome = context.sandbox().write(path, bytes);
      failures.succeeded(context.runId(), path);
      String summary = switch (outcome) {
        case CREATED -> "created " + path + " (" + bytes.length + " bytes)";
        case MODIFIED -> "updated " + path + " (" + bytes.length + " bytes)";
        case UNCHANGED -> path + " unchanged";
      };
      return new ToolResult(summary, summary, List.of(path), false);
    }
  }

  static final class DeleteFile implements Tool {
    private final ToolDefinition definition = new ToolDefinition("delete_file",
        "Delete a file, or a directory with everything in it.",
        Schemas.object().string("path", "Path relative to the app root.", true).build());

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      List<String> deleted = context.sandbox().delete(text(args, "path"));
      String summary = deleted.size() == 1 ? "deleted " + deleted.get(0) : "deleted " + deleted.size() + " files";
      return new ToolResult(summary + (deleted.size() > 1 ? ":\n" + String.join("\n", deleted) : ""), summary, deleted, false);
    }
  }

  static final class RenameFile implements Tool {
    private final ToolDefinition definition = new ToolDefinition("rename_file",
        "Move or rename a file or directory. Fails if the target exists.",
        Schemas.object()
            .string("from", "Current path relative to the app root.", true)
            .string("to", "New path relative to the app root.", true)
            .build());

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      Sandbox sandbox = context.sandbox();
      String from = SandboxPaths.normalize(text(args, "from"));
      String to = SandboxPaths.normalize(text(args, "to"));
      List<String> touched = new ArrayList<>();
      touched.add(from);
      touched.add(to);
      if (sandbox.tryRead(from).isEmpty()) {
        // A directory: report each file that moved.
        for (FileEntry e : sandbox.list(from, true, Integer.MAX_VALUE)) {
          if (e.kind() == FileEntry.Kind.FILE) {
            touched.add(e.path());
            touched.add(to + e.path().substring(from.length()));
          }
        }
      }
      sandbox.rename(from, to);
      String summary = "renamed " + from + " to " + to;
      return new ToolResult(summary, summary, touched, false);
    }
  }

  static final class RunCommand implements Tool {
    private final ToolDefinition definition = new ToolDefinition("run_command",
        "Run a program in the app directory as an argument vector, without a shell (no &&, ;, pipes or redirects, "
            + "not even inside arguments: put code in a file and run it with node). "
            + "Allowed programs are set by the host's policy (by default node, npm, npx, vite). "
            + "Returns the exit code and output.",
        Schemas.object()
            .stringArray("argv", "Program and arguments, e.g. [\"npm\", \"install\", \"react-router-dom\"].", true)
            .string("cwd", "Working directory relative to the app root (default the root).", false)
            .integer("timeout_seconds", "Stop the command after this many seconds (the policy caps it).", false)
            .build());

    @Override
    public ToolDefinition definition() {
      return definition;
    }

    @Override
    public ToolResult execute(ToolContext context, ObjectNode args) {
      List<String> argv = new ArrayList<>();
      args.get("argv").forEach(a -> argv.add(a.asText()));
      Optional<Duration> timeout = args.has("timeout_seconds")
          ? Optional.of(Duration.ofSeconds(Math.max(1, args.get("timeout_seconds").asLong())))
          : Optional.empty();
      CommandRequest request = new CommandRequest(argv, optText(args, "cwd").orElse(""), Map.of(), timeout);
      int[] statusLines = {0};
      CommandListener listener = new CommandListener() {
        @Override
        public void onStdout(String chunk) {
          forward(chunk);
        }

        @Override
        public void onStderr(String chunk) {
          forward(chunk);
        }

        private void forward(String chunk) {
          for (String line : chunk.split("\\R")) {
            if (!line.isBlank() && statusLines[0]++ < MAX_STATUS_LINES) {
              context.status(argv.get(0) + ": " + (line.length() > 300 ? line.substring(0, 300) + "…" : line));
            }
          }
        }
      };
      CommandResult result = context.sandbox().run(request, listener, context.cancellation());
      StringBuilder out = new StringBuilder();
      out.append("exit code: ").append(result.exitCode());
      if (result.timedOut()) {
        out.append(" (timed out)");
      }
      out.append('\n');
      if (!result.stdout().isEmpty()) {
        out.append("stdout:\n").append(result.stdout()).append(result.stdout().endsWith("\n") ? "" : "\n");
      }
      if (!result.stderr().isEmpty()) {
        out.append("stderr:\n").append(result.stderr()).append(result.stderr().endsWith("\n") ? "" : "\n");
      }
      String summary = String.join(" ", argv) + " → exit " + result.exitCode() + (result.timedOut() ? " (timed out)" : "")
          + " in " + result.duration().toMillis() + " ms";
      return new ToolResult(out.toString(), summary.length() > 200 ? summary.substring(0, 200) + "…" : summary, List.of(), true);
    }
  }
}
