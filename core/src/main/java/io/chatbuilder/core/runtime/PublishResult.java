package io.chatbuilder.core.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The record of one publish build.
 *
 * @param manifest every file of {@code dist/}: relative path to SHA-256 hex
 * @param manifestHash SHA-256 of the manifest; equal for byte-identical builds
 * @param outputLocation where the built files are (a directory, a URL), if the build succeeded
 */
public record PublishResult(
    String publishId,
    String appId,
    String checkpointId,
    String revisionId,
    boolean success,
    SortedMap<String, String> manifest,
    String manifestHash,
    String buildLog,
    Optional<String> error,
    Optional<String> outputLocation,
    Instant startedAt,
    Duration duration) {
  public PublishResult {
    Objects.requireNonNull(publishId, "publishId == null");
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    Objects.requireNonNull(revisionId, "revisionId == null");
    manifest = Collections.unmodifiableSortedMap(new TreeMap<>(manifest));
    Objects.requireNonNull(manifestHash, "manifestHash == null");
    Objects.requireNonNull(buildLog, "buildLog == null");
    Objects.requireNonNull(error, "error == null");
    Objects.requireNonNull(outputLocation, "outputLocation == null");
    Objects.requireNonNull(startedAt, "startedAt == null");
    Objects.requireNonNull(duration, "duration == null");
  }
}
