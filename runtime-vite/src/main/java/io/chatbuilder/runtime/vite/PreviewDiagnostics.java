package io.chatbuilder.runtime.vite;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.DiagnosticListener;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The preview diagnostics of every app of a draft runtime: what the dev server's diagnostics plugin
 * prints as {@code @@chatbuilder-diagnostic <json>} lines, validated, deduplicated with counts and
 * kept in a bounded buffer per app (entries and bytes). Everything on those lines comes from the
 * sandbox, where the app's own code runs, so it is treated as hostile input: lines, fields and
 * counts are capped, a path that is not a plain app-relative one is dropped. Thread-safe.
 */
final class PreviewDiagnostics {
  static final String PREFIX = "@@chatbuilder-diagnostic ";
  static final int MAX_LINE_CHARS = 64 * 1024;
  static final int MAX_MESSAGE_CHARS = 2000;
  static final int MAX_STACK_CHARS = 4000;
  static final int MAX_FILE_CHARS = 300;
  /** What an entry costs besides its text (record, key, map node), for the byte bound. */
  static final int ENTRY_OVERHEAD_BYTES = 200;
  /** Listener calls per app and second beyond which updates are not delivered (the buffer still has them). */
  static final int MAX_NOTIFICATIONS_PER_SECOND = 50;

  private static final Logger log = LoggerFactory.getLogger(PreviewDiagnostics.class);
  private static final JsonCodec JSON = new JsonCodec();
  private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\\n\\t]]|[\\u200B-\\u200F\\u202A-\\u202E\\u2066-\\u2069]");
  private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9._@+~\\-\\[\\]() ]+(/[A-Za-z0-9._@+~\\-\\[\\]() ]+)*");
  /** Absolute paths into dependencies, which a message may still hold: kept from node_modules/ on. */
  private static final Pattern ABSOLUTE_NODE_MODULES = Pattern.compile("(?:file://)?(?:/[^/\\s:'\"()]+)+?/(node_modules/)");

  private final int maxEntries;
  private final long maxBytes;
  private final Clock clock;
  private final Map<String, Buffer> apps = new ConcurrentHashMap<>();
  private final List<DiagnosticListener> listeners = new CopyOnWriteArrayList<>();

  PreviewDiagnostics(int maxEntries, long maxBytes, Clock clock) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.clock = Objects.requireNonNull(clock, "clock == null");
  }

  static boolean isDiagnosticLine(String line) {
    return line.startsWith(PREFIX);
  }

  /** Reads one line of the plugin; anything malformed is dropped (logged at debug). */
  void accept(String appId, String text) {
    if (!isDiagnosticLine(text) || text.length() > MAX_LINE_CHARS) {
      return;
    }
    JsonNode o = JSON.tryRead(text.substring(PREFIX.length())).orElse(null);
    if (o == null) {
      log.debug("dropped a malformed diagnostic line of {}", appId);
      return;
    }
    if (!o.isObject()) {
      return;
    }
    if (o.path("type").asText("").equals("changed")) {
      file(o.get("file")).ifPresent(file -> buffer(appId).forgetCompileErrors(file));
      return;
    }
    PreviewDiagnostic.Kind kind;
    try {
      kind = PreviewDiagnostic.Kind.fromWireName(o.path("kind").asText(""));
    } catch (IllegalArgumentException e) {
      return;
    }
    String message = clean(o.path("message").asText(""), MAX_MESSAGE_CHARS);
    if (message.isBlank()) {
      message = "(no message)";
    }
    Optional<String> file = file(o.get("file"));
    OptionalInt line = file.isPresent() ? position(o.get("line")) : OptionalInt.empty();
    OptionalInt column = line.isPresent() ? position(o.get("column")) : OptionalInt.empty();
    Optional<String> stack = Optional.of(clean(o.path("stack").asText(""), MAX_STACK_CHARS)).filter(s -> !s.isBlank());
    JsonNode c = o.get("count");
    long count = c != null && c.canConvertToLong() && c.asLong() > 0 ? Math.min(c.asLong(), 1_000_000_000L) : 1;
    record(appId, kind, message, file, line, column, stack, count);
  }

  /** Adds {@code count} reports of one diagnostic; returns the entry as it is now. */
  PreviewDiagnostic record(String appId, PreviewDiagnostic.Kind kind, String message, Optional<String> file,
      OptionalInt line, OptionalInt column, Optional<String> stack, long count) {
    Buffer buffer = buffer(appId);
    Buffer.Update update = buffer.add(kind, message, file, line, column, stack, count, clock.instant());
    if (update.deliver()) {
      for (DiagnosticListener listener : listeners) {
        try {
          listener.onDiagnostic(appId, update.diagnostic());
        } catch (RuntimeException e) {
          log.warn("a diagnostic listener failed", e);
        }
      }
    }
    return update.diagnostic();
  }

  List<PreviewDiagnostic> list(String appId) {
    Buffer buffer = apps.get(appId);
    return buffer == null ? List.of() : buffer.snapshot();
  }

  void clear(String appId) {
    Buffer buffer = apps.get(appId);
    if (buffer != null) {
      buffer.clear();
    }
  }

  /** The approximate bytes the app's buffer holds (tests). */
  long bytes(String appId) {
    Buffer buffer = apps.get(appId);
    return buffer == null ? 0 : buffer.bytes();
  }

  RunHandle.Subscription subscribe(DiagnosticListener listener) {
    Objects.requireNonNull(listener, "listener == null");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private Buffer buffer(String appId) {
    return apps.computeIfAbsent(appId, id -> new Buffer(maxEntries, maxBytes));
  }

  private static Optional<String> file(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return Optional.empty();
    }
    String f = node.asText();
    if (f.isEmpty() || f.length() > MAX_FILE_CHARS || !SAFE_PATH.matcher(f).matches()) {
      return Optional.empty();
    }
    for (String segment : f.split("/")) {
      if (segment.equals("..") || segment.equals(".") || segment.isBlank()) {
        return Optional.empty();
      }
    }
    return Optional.of(f);
  }

  private static OptionalInt position(JsonNode node) {
    if (node == null || !node.canConvertToInt()) {
      return OptionalInt.empty();
    }
    int v = node.asInt();
    return v >= 1 && v <= 10_000_000 ? OptionalInt.of(v) : OptionalInt.empty();
  }

  static String clean(String s, int max) {
    String t = CONTROL.matcher(s).replaceAll("");
    t = ABSOLUTE_NODE_MODULES.matcher(t).replaceAll("$1");
    return t.length() > max ? t.substring(0, max - 1) + "…" : t;
  }

  /** One app's diagnostics, least recently seen first. */
  private static final class Buffer {
    record Update(PreviewDiagnostic diagnostic, boolean deliver) {}

    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<String, PreviewDiagnostic> entries = new LinkedHashMap<>();
    private long bytes;
    private long windowStart;
    private int notifications;

    Buffer(int maxEntries, long maxBytes) {
      this.maxEntries = maxEntries;
      this.maxBytes = maxBytes;
    }

    synchronized Update add(PreviewDiagnostic.Kind kind, String message, Optional<String> file, OptionalInt line,
        OptionalInt column, Optional<String> stack, long count, Instant now) {
      String key = kind.wireName() + '\0' + message + '\0' + file.orElse("") + '\0' + line.orElse(0) + '\0' + column.orElse(0);
      PreviewDiagnostic old = entries.remove(key);
      PreviewDiagnostic now2;
      if (old != null) {
        long total = old.count() > Long.MAX_VALUE - count ? Long.MAX_VALUE : old.count() + count;
        // the newest stack: the agent reads the one of the latest occurrence
        now2 = new PreviewDiagnostic(kind, message, file, line, column, stack.isPresent() ? stack : old.stack(), total,
            old.firstSeen(), now);
        bytes -= size(key, old);
      } else {
        now2 = new PreviewDiagnostic(kind, message, file, line, column, stack, count, now, now);
      }
      entries.put(key, now2);
      bytes += size(key, now2);
      Iterator<Map.Entry<String, PreviewDiagnostic>> oldest = entries.entrySet().iterator();
      while ((entries.size() > maxEntries || bytes > maxBytes) && oldest.hasNext()) {
        Map.Entry<String, PreviewDiagnostic> e = oldest.next();
        if (e.getValue() == now2 && entries.size() == 1) {
          break; // one entry always fits: its fields are capped far below any byte bound allowed
        }
        bytes -= size(e.getKey(), e.getValue());
        oldest.remove();
      }
      long second = now.getEpochSecond();
      if (second != windowStart) {
        windowStart = second;
        notifications = 0;
      }
      return new Update(now2, notifications++ < MAX_NOTIFICATIONS_PER_SECOND);
    }

    synchronized void forgetCompileErrors(String file) {
      Iterator<Map.Entry<String, PreviewDiagnostic>> it = entries.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, PreviewDiagnostic> e = it.next();
        if (e.getValue().kind() == PreviewDiagnostic.Kind.COMPILE_ERROR && e.getValue().file().filter(file::equals).isPresent()) {
          bytes -= size(e.getKey(), e.getValue());
          it.remove();
        }
      }
    }

    synchronized List<PreviewDiagnostic> snapshot() {
      return List.copyOf(new ArrayList<>(entries.values()));
    }

    synchronized void clear() {
      entries.clear();
      bytes = 0;
    }

    synchronized long bytes() {
      return bytes;
    }

    /** UTF-16 bytes of the key and the text fields, plus a fixed overhead. */
    private static long size(String key, PreviewDiagnostic d) {
      return ENTRY_OVERHEAD_BYTES + 2L * (key.length() + d.stack().map(String::length).orElse(0));
    }
  }
}
