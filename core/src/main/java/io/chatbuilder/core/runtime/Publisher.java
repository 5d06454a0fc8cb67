package io.chatbuilder.core.runtime;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import java.util.List;
import java.util.Optional;

/**
 * Publish mode: a deterministic full build of one checkpoint's files (never the draft's working
 * files). The same revision gives a byte-identical output. Thread-safe.
 */
public interface Publisher {

  /**
   * Builds {@code checkpoint}'s revision read from {@code store}. A failed build is a result with
   * {@code success == false} and the build error, not an exception; the draft is never affected.
   */
  PublishResult publish(String appId, Checkpoint checkpoint, CheckpointStore store, StatusListener listener);

  /** A past publish of an app. */
  Optional<PublishResult> find(String appId, String publishId);

  /** An app's publishes, newest first. */
  List<PublishResult> list(String appId, int limit);
}
