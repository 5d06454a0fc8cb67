package io.chatbuilder.runtime.vite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.PublishResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores each publish as {@code publish.json} (snake_case, like the event wire format) and
 * {@code build.log} in its directory, so a restarted host can list past publishes.
 */
final class PublishRecords {
  private static final Logger log = LoggerFactory.getLogger(PublishRecords.class);
  private static final int FORMAT = 1;

  private final JsonCodec json = new JsonCodec();

  void write(Path dir, PublishResult r) {
    ObjectNode o = json.objectNode();
    o.put("format", FORMAT);
    o.put("publish_id", r.publishId());
    o.put("app_id", r.appId());
    o.put("checkpoint_id", r.checkpointId());
    o.put("revision_id", r.revisionId());
    o.put("success", r.success());
    o.put("manifest_hash", r.manifestHash());
    ObjectNode manifest = o.putObject("manifest");
    r.manifest().forEach(manifest::put);
    r.error().ifPresent(e -> o.put("error", e));
    o.put("started_at", r.startedAt().toString());
    o.put("duration_ms", r.duration().toMillis());
    try {
      Files.writeString(dir.resolve(VitePublisher.BUILD_LOG), r.buildLog(), StandardCharsets.UTF_8);
      // write-then-rename: a crash never leaves a half-written record
      Path tmp = dir.resolve(VitePublisher.RECORD + ".tmp");
      Files.writeString(tmp, json.writePretty(o), StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(VitePublisher.RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new SandboxException("cannot record publish " + r.publishId() + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The record in {@code dir}, empty (with a warning) if it is missing or unreadable. */
  Optional<PublishResult> read(Path dir) {
    Path file = dir.resolve(VitePublisher.RECORD);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode o = json.read(Files.readAllBytes(file));
      SortedMap<String, String> manifest = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = o.path("manifest").fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        manifest.put(f.getKey(), f.getValue().asText());
      }
      boolean success = required(o, "success").asBoolean();
      Path logFile = dir.resolve(VitePublisher.BUILD_LOG);
      String buildLog = Files.isRegularFile(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
      Path output = dir.resolve(VitePublisher.OUTPUT);
      return Optional.of(new PublishResult(
          required(o, "publish_id").asText(),
          required(o, "app_id").asText(),
          required(o, "checkpoint_id").asText(),
          required(o, "revision_id").asText(),
          success,
          manifest,
          required(o, "manifest_hash").asText(),
          buildLog,
          o.hasNonNull("error") ? Optional.of(o.get("error").asText()) : Optional.empty(),
          success && Files.isDirectory(output) ? Optional.of(output.toString()) : Optional.empty(),
          Instant.parse(required(o, "started_at").asText()),
          Duration.ofMillis(o.path("duration_ms").asLong())));
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring unreadable publish record {}: {}", file, e.toString());
      return Optional.empty();
    }
  }

  private static JsonNode required(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing field " + field);
    }
    return v;
  }
}
