package io.chatbuilder.core.tool;

import java.util.List;
import java.util.Objects;

/**
 * What a tool call produced.
 *
 * @param content what the model is told (may be long: file contents, command output)
 * @param summary one line for the UI's timeline card ({@code tool_completed.summary})
 * @param touchedPaths sandbox paths the tool may have changed; the loop reports their changes in a
 *     {@code file_changes} event
 * @param rescan whether the tool may have changed files anywhere (a command), so the loop asks the
 *     sandbox for every changed path
 */
public record ToolResult(String content, String summary, List<String> touchedPaths, boolean rescan) {
  public ToolResult {
    Objects.requireNonNull(content, "content == null");
    Objects.requireNonNull(summary, "summary == null");
    touchedPaths = List.copyOf(touchedPaths);
  }

  public static ToolResult of(String content, String summary) {
    return new ToolResult(content, summary, List.of(), false);
  }
}
