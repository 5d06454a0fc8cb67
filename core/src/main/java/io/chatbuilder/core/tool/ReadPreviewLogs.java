package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;

/**
 * The {@code read_preview_logs} tool: what the app's draft preview reported
 * ({@link DraftRuntime#diagnostics}), most recent first, one compact entry each:
 * {@code [kind] file:line:col ×count message} and the first lines of its code frame or stack.
 */
public final class ReadPreviewLogs implements Tool {
  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;
  static final int STACK_LINES = 6;
  static final int MAX_CONTENT_CHARS = 8000;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final DraftRuntime runtime;
  private final ToolDefinition definition = new ToolDefinition("read_preview_logs",
      "Read what the live preview reported: compile errors (Vite's error overlay), uncaught errors, unhandled promise "
          + "rejections and console.error calls, with file:line:col and how often each happened, most recent first. "
          + "The preview reports only while a browser shows it; check_app builds and type-checks without one.",
      Schemas.object()
          .integer("limit", "Most entries to return (default 20, at most 100).", false)
          .bool("clear", "Forget the entries after reading them, so the next read shows only new ones (default false).", false)
          .build());

  private ReadPreviewLogs(DraftRuntime runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime == null");
  }

  /** The tool over a draft runtime's diagnostics. */
  public static ReadPreviewLogs create(DraftRuntime runtime) {
    return new ReadPreviewLogs(runtime);
  }

  @Override
  public ToolDefinition definition() {
    return definition;
  }

  @Override
  public ToolResult execute(ToolContext context, ObjectNode args) {
    int limit = args.hasNonNull("limit") ? args.get("limit").asInt() : DEFAULT_LIMIT;
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidArgumentException("limit must be between 1 and " + MAX_LIMIT);
    }
    List<PreviewDiagnostic> all = runtime.diagnostics(context.appId());
    if (args.path("clear").asBoolean(false)) {
      runtime.clearDiagnostics(context.appId());
    }
    DraftStatus status = runtime.status(context.appId());
    StringBuilder out = new StringBuilder();
    if (status.state() != DraftState.RUNNING) {
      out.append("The preview is not running (").append(status.state().name().toLowerCase(java.util.Locale.ROOT)).append(")")
          .append(status.error().map(e -> ": " + firstLine(e)).orElse("")).append(".\n");
    }
    if (all.isEmpty()) {
      out.append("No errors reported by the preview. It reports only while a browser shows it; run check_app to build "
          + "and type-check the app.\n");
      return ToolResult.of(out.toString(), "no preview errors");
    }
    int shown = 0;
    for (int i = all.size() - 1; i >= 0 && shown < limit; i--) {
      String entry = format(all.get(i));
      if (out.length() + entry.length() > MAX_CONTENT_CHARS && shown > 0) {
        break;
      }
      out.append(entry);
      shown++;
    }
    if (shown < all.size()) {
      out.append("… ").append(all.size() - shown).append(" older entries not shown\n");
    }
    long errors = all.stream().filter(d -> d.kind() != PreviewDiagnostic.Kind.CONSOLE_ERROR).count();
    String summary = all.size() + (all.size() == 1 ? " entry" : " entries") + " (" + errors + " errors)";
    return ToolResult.of(out.toString(), summary);
  }

  static String format(PreviewDiagnostic d) {
    StringBuilder s = new StringBuilder();
    s.append('[').append(d.kind().wireName()).append("] ");
    if (!d.location().isEmpty()) {
      s.append(d.location()).append(' ');
    }
    if (d.count() > 1) {
      s.append('×').append(d.count()).append(' ');
    }
    s.append(firstLines(d.message(), 3)).append(" (last at ").append(TIME.format(d.lastSeen())).append(" UTC)\n");
    d.stack().ifPresent(stack -> {
      for (String line : firstLines(stack, STACK_LINES).split("\n")) {
        if (!line.isBlank()) {
          s.append("    ").append(line.strip()).append('\n');
        }
      }
    });
    return s.toString();
  }

  private static String firstLines(String text, int n) {
    String[] lines = text.split("\n", n + 1);
    return lines.length <= n ? text.strip() : String.join("\n", java.util.Arrays.copyOf(lines, n)).strip() + " …";
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
