package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The studio's fallback publisher when no Vite runtime is configured: a static app needs no build,
 * so publishing copies the checkpoint's files (read from the store, never from the draft) into
 * {@code <dir>/<app>/<publishId>/} (the result's output location) and records a manifest. The same revision gives the same
 * manifest hash. Each publish is written to a temporary directory first and moved into place, so a
 * crash never leaves half a site.
 */
final class StaticPublisher implements Publisher {
  private static final String RECORD = ".publish.json";

  private final Path dir;
  private final Clock clock;
  private final JsonCodec json = new JsonCodec();

  StaticPublisher(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
  }

  /** Where a publish's files are, if it exists. */
  Optional<Path> siteDirectory(String appId, String publishId) {
    if (!publishId.matches("pub_[0-9a-z]{1,40}")) {
      return Optional.empty();
    }
    Path site = dir.resolve(appId).resolve(publishId);
    return Files.isRegularFile(site.resolve(RECORD)) ? Optional.of(site) : Optional.empty();
  }

  @Override
  public synchronized PublishResult publish(String appId, Checkpoint checkpoint, CheckpointStore store, StatusListener listener) {
    Instant started = clock.instant();
    String publishId = "pub_" + Long.toString(started.toEpochMilli(), 36) + Long.toString(System.nanoTime() % 1_000_000L, 36);
    SortedMap<String, String> manifest = new TreeMap<>();
    StringBuilder log = new StringBuilder();
    try {
      Path appDir = Files.createDirectories(dir.resolve(appId));
      Path staging = Files.createTempDirectory(appDir, ".staging-");
      listener.onStatus("copying the files of checkpoint " + checkpoint.id());
      for (Map.Entry<String, FileRef> file : store.revision(checkpoint.resultRevisionId()).files().entrySet()) {
        byte[] bytes = store.readBlob(file.getValue().blobId());
        Path target = staging.resolve(file.getKey()).normalize();
        if (!target.startsWith(staging)) {
          throw new IOException("refusing to publish a path outside the site: " + file.getKey());
        }
        Files.createDirectories(target.getParent());
        Files.write(target, bytes);
        manifest.put(file.getKey(), ContentHash.sha256(bytes));
        log.append("copied ").append(file.getKey()).append(" (").append(bytes.length).append(" bytes)\n");
      }
      String manifestHash = manifestHash(manifest);
      log.append(manifest.size()).append(" files, manifest ").append(manifestHash).append('\n');
      PublishResult result = new PublishResult(publishId, appId, checkpoint.id(), checkpoint.resultRevisionId(), true, manifest,
          manifestHash, log.toString(), Optional.empty(), Optional.of(appDir.resolve(publishId).toString()),
          started, Duration.between(started, clock.instant()));
      Files.writeString(staging.resolve(RECORD), json.write(toJson(result)));
      Files.move(staging, appDir.resolve(publishId), StandardCopyOption.ATOMIC_MOVE);
      listener.onStatus("published " + publishId);
      return result;
    } catch (IOException | UncheckedIOException | StoreException e) {
      return new PublishResult(publishId, appId, checkpoint.id(), checkpoint.resultRevisionId(), false, new TreeMap<>(), "",
          log.toString(), Optional.of("publish failed: " + e.getMessage()), Optional.empty(), started,
          Duration.between(started, clock.instant()));
    }
  }

  @Override
  public Optional<PublishResult> find(String appId, String publishId) {
    return siteDirectory(appId, publishId).flatMap(this::read);
  }

  @Override
  public List<PublishResult> list(String appId, int limit) {
    Path appDir = dir.resolve(appId);
    if (!Files.isDirectory(appDir)) {
      return List.of();
    }
    List<PublishResult> out = new ArrayList<>();
    try (Stream<Path> sites = Files.list(appDir)) {
      sites.filter(p -> p.getFileName().toString().startsWith("pub_")).forEach(p -> read(p).ifPresent(out::add));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(Comparator.comparing(PublishResult::startedAt).thenComparing(PublishResult::publishId).reversed());
    return out.subList(0, Math.min(limit, out.size()));
  }

  static String manifestHash(SortedMap<String, String> manifest) {
    StringBuilder lines = new StringBuilder();
    manifest.forEach((path, hash) -> lines.append(hash).append("  ").append(path).append('\n'));
    return ContentHash.sha256(lines.toString().getBytes(StandardCharsets.UTF_8));
  }

  private ObjectNode toJson(PublishResult r) {
    ObjectNode o = json.objectNode();
    o.put("publish_id", r.publishId()).put("app_id", r.appId()).put("checkpoint_id", r.checkpointId())
        .put("revision_id", r.revisionId()).put("manifest_hash", r.manifestHash()).put("build_log", r.buildLog())
        .put("started_at", r.startedAt().toString()).put("duration_ms", r.duration().toMillis());
    r.outputLocation().ifPresent(l -> o.put("output_location", l));
    ObjectNode m = o.putObject("manifest");
    r.manifest().forEach(m::put);
    return o;
  }

  private Optional<PublishResult> read(Path site) {
    try {
      JsonNode o = json.read(Files.readAllBytes(site.resolve(RECORD)));
      SortedMap<String, String> manifest = new TreeMap<>();
      o.path("manifest").properties().forEach(f -> manifest.put(f.getKey(), f.getValue().asText()));
      return Optional.of(new PublishResult(o.path("publish_id").asText(), o.path("app_id").asText(), o.path("checkpoint_id").asText(),
          o.path("revision_id").asText(), true, manifest, o.path("manifest_hash").asText(), o.path("build_log").asText(),
          Optional.empty(), Optional.of(site.toString()), Instant.parse(o.path("started_at").asText()),
          Duration.ofMillis(o.path("duration_ms").asLong())));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
