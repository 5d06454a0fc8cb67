package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.SandboxPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code edit_file}: replaces exact text in one file, one or several replacements per call, all or
 * none. What the model quotes is found by the {@link Fuzzy} cascade; errors name the closest
 * region or the places that matched.
 */
final class EditFile implements Tool {
  static final String NAME = "edit_file";
  /** Lines of the changed region shown in the result. */
  static final int MAX_RESULT_LINES = 16;

  private static final ToolDefinition DEFINITION = new ToolDefinition(NAME,
      "Change an existing text file by replacing exact text. old_string must match the file exactly, including "
          + "whitespace and indentation, and only one place: include enough surrounding lines to make it unique, "
          + "or set replace_all to change every occurrence. To insert, quote the neighbouring line and repeat it in "
          + "new_string; to delete, leave new_string empty. Several changes to the same file go in one call as "
          + "edits, applied in order, all or none. Read the file first; use write_file for new files.",
      Schemas.object()
          .string("path", "File path relative to the app root, e.g. src/App.jsx.", true)
          .string("old_string", "The exact text to replace, copied from the file (without line numbers).", false)
          .string("new_string", "The text to put in its place.", false)
          .bool("replace_all", "Replace every occurrence of old_string, not just one (default false).", false)
          .objectArray("edits", "Several replacements in this file, applied in order, all or none; use instead of "
                  + "old_string and new_string.",
              Schemas.object()
                  .string("old_string", "The exact text to replace.", true)
                  .string("new_string", "The text to put in its place.", true)
                  .bool("replace_all", "Replace every occurrence (default false).", false),
              false)
          .build());

  private final EditFailures failures;

  EditFile(EditFailures failures) {
    this.failures = failures;
  }

  @Override
  public ToolDefinition definition() {
    return DEFINITION;
  }

  @Override
  public ToolResult execute(ToolContext context, ObjectNode args) {
    String path = SandboxPaths.normalize(BuiltinTools.text(args, "path"));
    try {
      ToolResult result = edit(context, path, edits(args));
      failures.succeeded(context.runId(), path);
      return result;
    } catch (CancelledException e) {
      throw e;
    } catch (ChatBuilderException e) {
      String message = failures.message(context.runId(), path, e.getMessage());
      throw message.equals(e.getMessage()) ? e : ChatBuilderException.of(e.code(), message);
    }
  }

  static List<StringEdit.Edit> edits(ObjectNode args) {
    boolean single = args.hasNonNull("old_string") || args.hasNonNull("new_string") || args.hasNonNull("replace_all");
    JsonNode list = args.get("edits");
    boolean multiple = list != null && !list.isNull();
    if (single && multiple) {
      throw new InvalidArgumentException("give either old_string and new_string or edits, not both");
    }
    List<StringEdit.Edit> edits = new ArrayList<>();
    if (multiple) {
      for (JsonNode e : list) {
        edits.add(new StringEdit.Edit(e.path("old_string").asText(), e.path("new_string").asText(),
            e.path("replace_all").asBoolean(false)));
      }
      if (edits.isEmpty()) {
        throw new InvalidArgumentException("edits is empty: give at least one {old_string, new_string}");
      }
      return edits;
    }
    if (!args.hasNonNull("old_string") || !args.hasNonNull("new_string")) {
      throw new InvalidArgumentException("missing " + (args.hasNonNull("old_string") ? "new_string" : "old_string")
          + ": give old_string and new_string (or a list of them as edits)");
    }
    edits.add(new StringEdit.Edit(args.get("old_string").asText(), args.get("new_string").asText(),
        args.path("replace_all").asBoolean(false)));
    return edits;
  }

  private static ToolResult edit(ToolContext context, String path, List<StringEdit.Edit> edits) {
    Optional<FileContent> current = context.sandbox().tryRead(path);
    TextDocument document;
    if (current.isEmpty()) {
      if (edits.size() == 1 && edits.get(0).oldString().isEmpty()) {
        document = TextDocument.empty(); // an empty old_string creates the file
      } else {
        throw new NotFoundException(path + " does not exist; to create it, use write_file (check the path with list_files)");
      }
    } else if (current.get().binary()) {
      throw new InvalidArgumentException(path + " is a binary file (" + current.get().size() + " bytes); edit_file only changes text files");
    } else {
      document = TextDocument.decode(current.get().text().orElse(""));
    }
    String before = document.text();
    String text = before;
    Fuzzy.Level loosest = Fuzzy.Level.EXACT;
    int replaced = 0;
    for (int i = 0; i < edits.size(); i++) {
      StringEdit.Applied applied;
      try {
        applied = StringEdit.apply(text, edits.get(i), path);
      } catch (InvalidArgumentException e) {
        throw edits.size() == 1 ? e : new InvalidArgumentException("edit " + (i + 1) + " of " + edits.size()
            + " failed, so none of the edits was applied: " + e.getMessage());
      }
      text = applied.text();
      replaced += applied.replaced();
      if (applied.level().compareTo(loosest) > 0) {
        loosest = applied.level();
      }
    }
    context.sandbox().write(path, document.withText(text).encode());

    List<String> oldLines = Snippets.lines(before);
    List<String> newLines = Snippets.lines(text);
    Snippets.Change change = Snippets.change(oldLines, newLines);
    String range = Snippets.range(change.first(), change.afterEnd());
    StringBuilder content = new StringBuilder(current.isEmpty() ? "Created " : "Edited ").append(path).append(": ");
    content.append(edits.size() == 1 ? "" : edits.size() + " edits, ");
    content.append(replaced == edits.size() ? "" : replaced + " replacements, ");
    if (change.beforeEnd() == change.first()) {
      content.append(range).append(" of ").append(newLines.size()).append(" added");
    } else if (change.afterEnd() == change.first()) {
      content.append(Snippets.range(change.first(), change.beforeEnd())).append(" removed");
    } else {
      content.append(range).append(" of ").append(newLines.size()).append(" changed");
      if (change.beforeEnd() != change.afterEnd()) {
        content.append(" (").append(Snippets.range(change.first(), change.beforeEnd())).append(" before)");
      }
    }
    if (loosest != Fuzzy.Level.EXACT) {
      content.append("; matched ").append(loosest.description());
    }
    if (document.crlf()) {
      content.append("; the file keeps its CRLF line ends");
    }
    content.append(".\n");
    content.append(Snippets.excerpt(newLines, change.first() - 2, Math.max(change.afterEnd(), change.first()) + 2,
        MAX_RESULT_LINES));
    String summary = "edited " + path + " (" + (change.afterEnd() > change.first() ? range : "removed "
        + Snippets.range(change.first(), change.beforeEnd())) + ")";
    return new ToolResult(content.toString(), summary, List.of(path), false);
  }
}
