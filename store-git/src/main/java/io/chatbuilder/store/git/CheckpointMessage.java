package io.chatbuilder.store.git;

import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The commit message of a checkpoint: a readable subject (the label's first line), the rest of a
 * multi-line label as the body, and every field as a git trailer in the last paragraph, e.g.
 *
 * <pre>
 * Add a dark-mode toggle
 *
 * Chatbuilder-App: app-1
 * Chatbuilder-Type: agent_run
 * Chatbuilder-Label: Add a dark-mode toggle
 * Chatbuilder-Created-At: 2026-11-24T10:15:30.123Z
 * Chatbuilder-Run-Id: run-42
 * Chatbuilder-Run-Outcome: completed
 * Chatbuilder-Tool: write_file=3
 * Chatbuilder-Conversation-Length: 7
 * Chatbuilder-Stats: added=1 modified=2 deleted=0 renamed=0 lines-added=50 lines-removed=3 bytes=7000
 * </pre>
 *
 * A {@code fork} checkpoint also names the app it came from ({@code Chatbuilder-Source-App}) beside
 * the checkpoint ({@code Chatbuilder-Source}).
 *
 * Trailer values are escaped ({@code \\ \n \r \t \\uXXXX}) so any string, including newlines and
 * unpaired surrogates, round-trips exactly and the trailer block never contains a blank line. Git
 * reads it with {@code git log --format='%(trailers:key=Chatbuilder-Label,valueonly)'}.
 */
final class CheckpointMessage {
  static final String APP = "Chatbuilder-App";
  static final String TYPE = "Chatbuilder-Type";
  static final String LABEL = "Chatbuilder-Label";
  static final String CREATED_AT = "Chatbuilder-Created-At";
  static final String RUN_ID = "Chatbuilder-Run-Id";
  static final String RUN_OUTCOME = "Chatbuilder-Run-Outcome";
  static final String SOURCE = "Chatbuilder-Source";
  static final String SOURCE_APP = "Chatbuilder-Source-App";
  static final String TOOL = "Chatbuilder-Tool";
  static final String CONVERSATION_LENGTH = "Chatbuilder-Conversation-Length";
  static final String STATS = "Chatbuilder-Stats";

  private CheckpointMessage() {}

  static String format(CheckpointDraft draft) {
    return format(draft, Optional.empty());
  }

  static String format(CheckpointDraft draft, Optional<String> sourceAppId) {
    StringBuilder m = new StringBuilder();
    String label = draft.label();
    int newline = indexOfLineBreak(label);
    String subject = newline < 0 ? label : label.substring(0, newline);
    subject = readable(subject).strip();
    m.append(subject.isEmpty() ? "(" + draft.type().wireName() + ")" : subject).append("\n\n");
    if (newline >= 0) {
      String body = readable(label.substring(newline + 1)).strip();
      if (!body.isEmpty()) {
        m.append(body).append("\n\n");
      }
    }
    trailer(m, APP, draft.appId());
    trailer(m, TYPE, draft.type().wireName());
    trailer(m, LABEL, label);
    trailer(m, CREATED_AT, draft.createdAt().toString());
    draft.runId().ifPresent(v -> trailer(m, RUN_ID, v));
    draft.runOutcome().ifPresent(v -> trailer(m, RUN_OUTCOME, v.wireName()));
    draft.sourceCheckpointId().ifPresent(v -> trailer(m, SOURCE, v));
    sourceAppId.ifPresent(v -> trailer(m, SOURCE_APP, v));
    draft.toolSummary().forEach((tool, count) ->
        m.append(TOOL).append(": ").append(escape(tool).replace("=", "\\u003d")).append('=').append(count).append('\n'));
    trailer(m, CONVERSATION_LENGTH, Integer.toString(draft.conversationLength()));
    ChangeStats s = draft.stats();
    trailer(m, STATS, "added=" + s.filesAdded() + " modified=" + s.filesModified() + " deleted=" + s.filesDeleted()
        + " renamed=" + s.filesRenamed() + " lines-added=" + s.linesAdded() + " lines-removed=" + s.linesRemoved()
        + " bytes=" + s.bytesWritten());
    return m.toString();
  }

  /**
   * Reads a checkpoint back from a commit message.
   *
   * @throws IllegalArgumentException if the message is not one this store wrote
   */
  static Checkpoint parse(String id, Optional<String> parentId, String treeId, String message) {
    int end = message.length();
    while (end > 0 && message.charAt(end - 1) == '\n') {
      end--; // tools such as `git commit-tree -F` may add blank lines at the end
    }
    String trimmed = message.substring(0, end);
    int start = trimmed.lastIndexOf("\n\n");
    String block = start < 0 ? trimmed : trimmed.substring(start + 2);
    Map<String, String> single = new LinkedHashMap<>();
    Map<String, Integer> tools = new TreeMap<>();
    for (String line : block.split("\n", -1)) {
      int colon = line.indexOf(": ");
      if (colon <= 0) {
        throw new IllegalArgumentException("not a checkpoint trailer: " + line);
      }
      String key = line.substring(0, colon);
      String raw = line.substring(colon + 2);
      if (key.equals(TOOL)) {
        int eq = raw.lastIndexOf('=');
        if (eq < 0) {
          throw new IllegalArgumentException("malformed tool trailer: " + line);
        }
        tools.put(unescape(raw.substring(0, eq)), Integer.valueOf(raw.substring(eq + 1)));
      } else if (single.putIfAbsent(key, unescape(raw)) != null) {
        throw new IllegalArgumentException("duplicate trailer " + key);
      }
    }
    try {
      String appId = required(single, APP);
      CheckpointType type = CheckpointType.fromWireName(required(single, TYPE));
      String label = single.getOrDefault(LABEL, "");
      Instant createdAt = Instant.parse(required(single, CREATED_AT));
      Optional<String> runId = Optional.ofNullable(single.get(RUN_ID));
      Optional<RunOutcome> outcome = Optional.ofNullable(single.get(RUN_OUTCOME)).map(RunOutcome::fromWireName);
      Optional<String> source = Optional.ofNullable(single.get(SOURCE));
      Optional<String> sourceApp = Optional.ofNullable(single.get(SOURCE_APP));
      int conversationLength = Integer.parseInt(required(single, CONVERSATION_LENGTH));
      ChangeStats stats = parseStats(required(single, STATS));
      return new Checkpoint(id, appId, parentId, treeId, type, label, tools, runId, outcome, source,
          conversationLength, stats, createdAt, sourceApp);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("malformed " + CREATED_AT + ": " + e.getMessage(), e);
    }
  }

  private static ChangeStats parseStats(String value) {
    Map<String, Long> fields = new LinkedHashMap<>();
    for (String part : value.split(" ")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("malformed stats: " + value);
      }
      fields.put(part.substring(0, eq), Long.valueOf(part.substring(eq + 1)));
    }
    return new ChangeStats(
        Math.toIntExact(stat(fields, "added")),
        Math.toIntExact(stat(fields, "modified")),
        Math.toIntExact(stat(fields, "deleted")),
        Math.toIntExact(stat(fields, "renamed")),
        stat(fields, "lines-added"),
        stat(fields, "lines-removed"),
        stat(fields, "bytes"));
  }

  private static long stat(Map<String, Long> fields, String name) {
    Long v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("stats lack " + name);
    }
    return v;
  }

  private static String required(Map<String, String> trailers, String key) {
    String v = trailers.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing trailer " + key);
    }
    return v;
  }

  private static void trailer(StringBuilder m, String key, String value) {
    m.append(key).append(": ").append(escape(value)).append('\n');
  }

  private static int indexOfLineBreak(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r') {
        return i;
      }
    }
    return -1;
  }

  /** Text for the human-readable part: CRLF/CR become LF, other controls and lone surrogates '?'. */
  private static String readable(String s) {
    String lf = s.replace("\r\n", "\n").replace('\r', '\n');
    StringBuilder out = new StringBuilder(lf.length());
    for (int i = 0; i < lf.length(); i++) {
      char c = lf.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < lf.length() && Character.isLowSurrogate(lf.charAt(i + 1))) {
        out.append(c).append(lf.charAt(++i));
      } else if (Character.isSurrogate(c) || (Character.isISOControl(c) && c != '\n' && c != '\t')) {
        out.append('?');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c) || Character.isISOControl(c)
              || c == '\u2028' || c == '\u2029' || c == '\ufeff') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (i + 1 >= s.length()) {
        throw new IllegalArgumentException("dangling escape in trailer value");
      }
      char e = s.charAt(++i);
      switch (e) {
        case '\\' -> out.append('\\');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          if (i + 4 >= s.length()) {
            throw new IllegalArgumentException("short \\u escape in trailer value");
          }
          int code = 0;
          for (int k = i + 1; k <= i + 4; k++) {
            int digit = Character.digit(s.charAt(k), 16);
            if (digit < 0) {
              throw new IllegalArgumentException("malformed \\u escape in trailer value");
            }
            code = code << 4 | digit;
          }
          out.append((char) code);
          i += 4;
        }
        default -> throw new IllegalArgumentException("unknown escape \\" + e + " in trailer value");
      }
    }
    return out.toString();
  }
}
