package io.chatbuilder.core.runtime;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One problem the draft preview reported: a compile error of Vite's error overlay, an uncaught
 * error, an unhandled promise rejection or a {@code console.error} call in the page. Identical
 * reports (same kind, message and place) are one diagnostic with a {@link #count}. Paths are
 * relative to the app's root, never paths of the machine the preview runs on; the place is the
 * source-mapped one (the line in the file the agent edits) where the preview could map it.
 *
 * <p>This is what a {@code preview_error} event on the app stream carries.
 *
 * @param file app-relative path, e.g. {@code src/App.jsx}, where known
 * @param line 1-based line in {@code file}, where known
 * @param column 1-based column in {@code file}, where known
 * @param stack the (shortened, path-stripped) stack or code frame, where there is one
 * @param count how often it was reported, at least 1
 */
public record PreviewDiagnostic(
    Kind kind, String message, Optional<String> file, OptionalInt line, OptionalInt column, Optional<String> stack,
    long count, Instant firstSeen, Instant lastSeen) {

  public PreviewDiagnostic {
    Objects.requireNonNull(kind, "kind == null");
    Objects.requireNonNull(message, "message == null");
    Objects.requireNonNull(file, "file == null");
    Objects.requireNonNull(line, "line == null");
    Objects.requireNonNull(column, "column == null");
    Objects.requireNonNull(stack, "stack == null");
    Objects.requireNonNull(firstSeen, "firstSeen == null");
    Objects.requireNonNull(lastSeen, "lastSeen == null");
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1");
    }
  }

  /** {@code file:line:column} as far as known, e.g. {@code src/App.jsx:12:9}; empty without a file. */
  public String location() {
    if (file.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder(file.get());
    line.ifPresent(l -> s.append(':').append(l));
    if (line.isPresent()) {
      column.ifPresent(c -> s.append(':').append(c));
    }
    return s.toString();
  }

  /** What the preview reported. */
  public enum Kind {
    /** A module failed to compile (Vite's error overlay, the {@code vite:error} HMR event). */
    COMPILE_ERROR("compile_error"),
    /** An error thrown and not caught (the window's {@code error} event). */
    UNCAUGHT_ERROR("uncaught_error"),
    /** A promise rejected without a handler ({@code unhandledrejection}). */
    UNHANDLED_REJECTION("unhandled_rejection"),
    /** The page called {@code console.error}. */
    CONSOLE_ERROR("console_error");

    private final String wireName;

    Kind(String wireName) {
      this.wireName = wireName;
    }

    /** The snake_case name on the wire, e.g. {@code compile_error}. */
    public String wireName() {
      return wireName;
    }

    /** The kind of a wire name. @throws IllegalArgumentException for an unknown one */
    public static Kind fromWireName(String name) {
      for (Kind k : values()) {
        if (k.wireName.equals(name)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown diagnostic kind: " + name);
    }
  }
}
