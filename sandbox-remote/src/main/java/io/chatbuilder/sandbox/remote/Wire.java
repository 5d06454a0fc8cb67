package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.ResourceLimits;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The JSON wire form shared by server and client: snake_case names, durations in milliseconds,
 * bytes in base64 where they travel inside JSON. Written by hand (tree model) so the protocol cannot
 * drift when a core record gains a field.
 */
final class Wire {
  static final JsonCodec JSON = new JsonCodec();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final String PREFIX = "/v1/sandboxes/";

  private Wire() {}

  static byte[] bytes(JsonNode node) {
    return JSON.writeBytes(node);
  }

  /** Parses what the other side sent; malformed JSON is an {@link IOException}, as a cut stream is. */
  static JsonNode readTree(byte[] body) throws IOException {
    try {
      return JSON.read(body);
    } catch (InvalidArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  static JsonNode readTree(String text) throws IOException {
    return readTree(text.getBytes(StandardCharsets.UTF_8));
  }

  static String text(JsonNode node) {
    return new String(bytes(node), StandardCharsets.UTF_8);
  }

  /** Parses a JSON object, or throws {@link InvalidArgumentException} saying what is wrong. */
  static ObjectNode parseObject(byte[] body) {
    JsonNode node;
    try {
      node = readTree(body);
    } catch (IOException e) {
      throw new InvalidArgumentException("request body is not valid JSON: " + e.getMessage());
    }
    if (!(node instanceof ObjectNode object)) {
      throw new InvalidArgumentException("request body must be a JSON object");
    }
    return object;
  }

  static String requireText(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new InvalidArgumentException("field '" + field + "' must be a string");
    }
    return v.textValue();
  }

  static String optText(JsonNode o, String field, String fallback) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw new InvalidArgumentException("field '" + field + "' must be a string");
    }
    return v.textValue();
  }

  static long optLong(JsonNode o, String field, long fallback) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new InvalidArgumentException("field '" + field + "' must be an integer");
    }
    return v.longValue();
  }

  static boolean optBoolean(JsonNode o, String field, boolean fallback) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw new InvalidArgumentException("field '" + field + "' must be true or false");
    }
    return v.booleanValue();
  }

  static List<String> stringList(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      throw new InvalidArgumentException("field '" + field + "' must be an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : v) {
      if (!item.isTextual()) {
        throw new InvalidArgumentException("field '" + field + "' must be an array of strings");
      }
      out.add(item.textValue());
    }
    return out;
  }

  static ArrayNode array(Iterable<String> values) {
    ArrayNode a = NODES.arrayNode();
    values.forEach(a::add);
    return a;
  }

  // ---------------------------------------------------------------- errors

  /** The header a fenced client sends on every mutating request: its lease's fencing token. */
  static final String FENCING_TOKEN = "Fencing-Token";
  /** The error code (HTTP 409) of a mutation refused for a stale fencing token. */
  static final String LEASE_LOST = "lease_lost";

  static ObjectNode error(ErrorCode code, String message) {
    return error(code.wireName(), message);
  }

  static ObjectNode error(String code, String message) {
    ObjectNode o = NODES.objectNode();
    o.put("code", code);
    o.put("message", message);
    return o;
  }

  // ---------------------------------------------------------------- files

  static ObjectNode entry(FileEntry e) {
    ObjectNode o = NODES.objectNode();
    o.put("path", e.path());
    o.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
    o.put("size", e.size());
    return o;
  }

  static FileEntry entry(JsonNode o) {
    return new FileEntry(requireText(o, "path"), FileEntry.Kind.valueOf(requireText(o, "kind").toUpperCase(Locale.ROOT)),
        optLong(o, "size", 0));
  }

  static WriteOutcome outcome(String wire) {
    return WriteOutcome.valueOf(wire.toUpperCase(Locale.ROOT));
  }

  static String outcome(WriteOutcome outcome) {
    return outcome.name().toLowerCase(Locale.ROOT);
  }

  static ObjectNode filesMap(SortedMap<String, Long> files) {
    ObjectNode o = NODES.objectNode();
    ObjectNode map = o.putObject("files");
    files.forEach(map::put);
    return o;
  }

  static SortedMap<String, Long> filesMap(JsonNode o) {
    SortedMap<String, Long> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.path("files").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().longValue());
    }
    return out;
  }

  /** A file set: path to base64 content, or null for "absent / delete". */
  static ObjectNode fileSet(Map<String, Optional<byte[]>> files) {
    ObjectNode o = NODES.objectNode();
    ObjectNode map = o.putObject("files");
    new TreeMap<>(files).forEach((path, content) -> {
      if (content.isPresent()) {
        map.put(path, Base64.getEncoder().encodeToString(content.get()));
      } else {
        map.putNull(path);
      }
    });
    return o;
  }

  static Map<String, Optional<byte[]>> fileSet(JsonNode o) {
    JsonNode files = o.get("files");
    if (files == null || !files.isObject()) {
      throw new InvalidArgumentException("field 'files' must be an object of path to base64 content or null");
    }
    Map<String, Optional<byte[]>> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNull()) {
        out.put(e.getKey(), Optional.empty());
      } else if (v.isTextual()) {
        try {
          out.put(e.getKey(), Optional.of(Base64.getDecoder().decode(v.textValue())));
        } catch (IllegalArgumentException bad) {
          throw new InvalidArgumentException("content of '" + e.getKey() + "' is not valid base64");
        }
      } else {
        throw new InvalidArgumentException("content of '" + e.getKey() + "' must be base64 text or null");
      }
    }
    return out;
  }

  static ObjectNode scan(ChangeScan scan) {
    ObjectNode o = NODES.objectNode();
    o.put("generation", scan.generation());
    o.set("paths", array(scan.paths()));
    return o;
  }

  static ChangeScan scan(JsonNode o) {
    return new ChangeScan(optLong(o, "generation", 0), new TreeSet<>(stringList(o, "paths")));
  }

  // ---------------------------------------------------------------- search

  static ObjectNode query(SearchQuery q) {
    ObjectNode o = NODES.objectNode();
    o.put("pattern", q.pattern());
    o.put("regex", q.regex());
    o.put("case_insensitive", q.caseInsensitive());
    o.set("include_globs", array(q.includeGlobs()));
    o.put("max_results", q.maxResults());
    o.put("context_lines", q.contextLines());
    o.put("time_limit_ms", q.timeLimit().toMillis());
    return o;
  }

  static SearchQuery query(JsonNode o) {
    return new SearchQuery(
        requireText(o, "pattern"),
        optBoolean(o, "regex", false),
        optBoolean(o, "case_insensitive", false),
        stringList(o, "include_globs"),
        (int) Math.min(Integer.MAX_VALUE, optLong(o, "max_results", SearchQuery.DEFAULT_MAX_RESULTS)),
        (int) Math.min(Integer.MAX_VALUE, optLong(o, "context_lines", 0)),
        Duration.ofMillis(optLong(o, "time_limit_ms", SearchQuery.DEFAULT_TIME_LIMIT.toMillis())));
  }

  static ObjectNode searchResult(SearchResult r) {
    ObjectNode o = NODES.objectNode();
    ArrayNode matches = o.putArray("matches");
    for (SearchResult.Match m : r.matches()) {
      ObjectNode mo = matches.addObject();
      mo.put("path", m.path());
      mo.put("line", m.line());
      mo.put("text", m.text());
      mo.set("before", array(m.before()));
      mo.set("after", array(m.after()));
    }
    o.put("truncated", r.truncated());
    o.put("files_searched", r.filesSearched());
    return o;
  }

  static SearchResult searchResult(JsonNode o) {
    List<SearchResult.Match> matches = new ArrayList<>();
    for (JsonNode m : o.path("matches")) {
      matches.add(new SearchResult.Match(requireText(m, "path"), (int) optLong(m, "line", 0), requireText(m, "text"),
          stringList(m, "before"), stringList(m, "after")));
    }
    return new SearchResult(matches, optBoolean(o, "truncated", false), (int) optLong(o, "files_searched", 0));
  }

  // ---------------------------------------------------------------- commands

  static ObjectNode command(CommandRequest r) {
    ObjectNode o = NODES.objectNode();
    o.set("argv", array(r.argv()));
    o.put("cwd", r.workingDirectory());
    ObjectNode env = o.putObject("env");
    new TreeMap<>(r.environment()).forEach(env::put);
    r.timeout().ifPresent(t -> o.put("timeout_ms", t.toMillis()));
    return o;
  }

  static CommandRequest command(JsonNode o) {
    Map<String, String> env = new TreeMap<>();
    JsonNode envNode = o.get("env");
    if (envNode != null && !envNode.isNull()) {
      if (!envNode.isObject()) {
        throw new InvalidArgumentException("field 'env' must be an object of strings");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = envNode.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new InvalidArgumentException("env value of '" + e.getKey() + "' must be a string");
        }
        env.put(e.getKey(), e.getValue().textValue());
      }
    }
    long timeoutMs = optLong(o, "timeout_ms", -1);
    Optional<Duration> timeout = timeoutMs > 0 ? Optional.of(Duration.ofMillis(timeoutMs)) : Optional.empty();
    return new CommandRequest(stringList(o, "argv"), optText(o, "cwd", ""), env, timeout);
  }

  static ObjectNode result(CommandResult r) {
    ObjectNode o = NODES.objectNode();
    o.put("exit_code", r.exitCode());
    o.put("stdout", r.stdout());
    o.put("stderr", r.stderr());
    o.put("timed_out", r.timedOut());
    o.put("cancelled", r.cancelled());
    o.put("truncated", r.truncated());
    o.put("isolated", r.isolated());
    o.put("duration_ms", r.duration().toMillis());
    return o;
  }

  static CommandResult result(JsonNode o) {
    return new CommandResult((int) optLong(o, "exit_code", -1), optText(o, "stdout", ""), optText(o, "stderr", ""),
        optBoolean(o, "timed_out", false), optBoolean(o, "cancelled", false), optBoolean(o, "truncated", false),
        optBoolean(o, "isolated", false), Duration.ofMillis(optLong(o, "duration_ms", 0)));
  }

  static ObjectNode draft(DraftStatus d) {
    ObjectNode o = NODES.objectNode();
    o.put("app_id", d.appId());
    o.put("state", d.state().name().toLowerCase(Locale.ROOT));
    d.previewUrl().ifPresent(url -> o.put("preview_url", url));
    o.set("log_tail", array(d.logTail()));
    d.error().ifPresent(e -> o.put("error", e));
    o.put("restarts", d.restarts());
    o.put("since", d.since().toString());
    return o;
  }

  static DraftStatus draft(JsonNode o) {
    return new DraftStatus(requireText(o, "app_id"), DraftState.valueOf(requireText(o, "state").toUpperCase(Locale.ROOT)),
        Optional.ofNullable(optText(o, "preview_url", null)), stringList(o, "log_tail"),
        Optional.ofNullable(optText(o, "error", null)), (int) optLong(o, "restarts", 0),
        Instant.parse(optText(o, "since", Instant.EPOCH.toString())));
  }

  static ObjectNode policy(CommandPolicy p) {
    ObjectNode o = NODES.objectNode();
    o.set("allowed_programs", array(new TreeSet<>(p.allowedPrograms())));
    o.set("denied_programs", array(new TreeSet<>(p.deniedPrograms())));
    o.put("allow_shell", p.allowShell());
    o.put("allow_network", p.allowNetwork());
    o.set("allowed_hosts", array(new TreeSet<>(p.allowedHosts())));
    o.put("default_timeout_ms", p.defaultTimeout().toMillis());
    o.put("max_timeout_ms", p.maxTimeout().toMillis());
    o.put("output_limit_bytes", p.outputLimitBytes());
    o.set("environment_allowlist", array(new TreeSet<>(p.environmentAllowlist())));
    ObjectNode fixed = o.putObject("fixed_environment");
    new TreeMap<>(p.fixedEnvironment()).forEach(fixed::put);
    ResourceLimits l = p.limits();
    ObjectNode limits = o.putObject("limits");
    limits.put("max_processes", l.maxProcesses());
    limits.put("max_memory_bytes", l.maxMemoryBytes());
    limits.put("max_cpu_time_ms", l.maxCpuTime().toMillis());
    limits.put("cpu_cores", l.cpuCores());
    limits.put("max_file_bytes", l.maxFileBytes());
    limits.put("max_disk_bytes", l.maxDiskBytes());
    return o;
  }

  /**
   * Rebuilds the server's policy for display. Argument rules (code) do not travel; the server
   * enforces the full policy on every command, so this copy is informational. Missing fields read
   * as the most restrictive choice (no network, no shell).
   */
  static CommandPolicy policy(JsonNode o) {
    CommandPolicy.Builder b = CommandPolicy.builder();
    // Start from empty lists: the server's lists replace the defaults.
    b.undeny(CommandPolicy.DEFAULT_DENIED.toArray(String[]::new));
    b.disallow(CommandPolicy.DEFAULT_ALLOWED.toArray(String[]::new));
    b.allow(stringList(o, "allowed_programs"));
    b.deny(stringList(o, "denied_programs").toArray(String[]::new));
    b.allowShell(optBoolean(o, "allow_shell", false));
    b.allowNetwork(optBoolean(o, "allow_network", false));
    b.denyAllHosts();
    b.allowHosts(stringList(o, "allowed_hosts").toArray(String[]::new));
    b.maxTimeout(Duration.ofMillis(optLong(o, "max_timeout_ms", 600_000)));
    b.defaultTimeout(Duration.ofMillis(optLong(o, "default_timeout_ms", 120_000)));
    b.outputLimitBytes(optLong(o, "output_limit_bytes", 256 * 1024));
    b.withholdEnvironment(CommandPolicy.DEFAULT_ENVIRONMENT.toArray(String[]::new));
    b.passEnvironment(stringList(o, "environment_allowlist").toArray(String[]::new));
    for (Iterator<Map.Entry<String, JsonNode>> it = o.path("fixed_environment").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      b.fixedEnvironment(e.getKey(), e.getValue().asText());
    }
    JsonNode l = o.path("limits");
    if (l.isObject()) {
      ResourceLimits d = ResourceLimits.DEFAULTS;
      b.limits(new ResourceLimits((int) optLong(l, "max_processes", d.maxProcesses()),
          optLong(l, "max_memory_bytes", d.maxMemoryBytes()),
          Duration.ofMillis(optLong(l, "max_cpu_time_ms", d.maxCpuTime().toMillis())),
          l.path("cpu_cores").isNumber() ? l.path("cpu_cores").asDouble() : d.cpuCores(),
          optLong(l, "max_file_bytes", d.maxFileBytes()), optLong(l, "max_disk_bytes", d.maxDiskBytes())));
    }
    return b.build();
  }
}
