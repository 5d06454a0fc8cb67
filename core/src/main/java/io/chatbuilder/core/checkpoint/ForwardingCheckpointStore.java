package io.chatbuilder.core.checkpoint;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * A {@link CheckpointStore} that forwards every call, defaults included, to another one: the base
 * for decorators (metrics, fault injection in tests, a store that adds a check) that override only
 * what they change. Forwarding the default methods too matters: a decorator must not fall back to
 * an interface default (a full-manifest diff, a lease check that cannot fence) where the store it
 * wraps has a better implementation.
 */
public interface ForwardingCheckpointStore extends CheckpointStore {

  /** The store every call goes to. */
  CheckpointStore delegate();

  @Override
  default String blobIdOf(byte[] content) {
    return delegate().blobIdOf(content);
  }

  @Override
  default Checkpoint append(CheckpointDraft draft) {
    return delegate().append(draft);
  }

  @Override
  default Checkpoint append(CheckpointDraft draft, Lease lease) {
    return delegate().append(draft, lease);
  }

  @Override
  default Checkpoint fork(ForkDraft draft) {
    return delegate().fork(draft);
  }

  @Override
  default Checkpoint fork(ForkDraft draft, Lease lease) {
    return delegate().fork(draft, lease);
  }

  @Override
  default SortedSet<String> addLabel(String appId, String checkpointId, String label) {
    return delegate().addLabel(appId, checkpointId, label);
  }

  @Override
  default SortedSet<String> removeLabel(String appId, String checkpointId, String label) {
    return delegate().removeLabel(appId, checkpointId, label);
  }

  @Override
  default SortedSet<String> labels(String appId, String checkpointId) {
    return delegate().labels(appId, checkpointId);
  }

  @Override
  default List<LabelledCheckpoint> findByLabel(String appId, LabelQuery query) {
    return delegate().findByLabel(appId, query);
  }

  @Override
  default List<LabelledCheckpoint> labelled(String appId) {
    return delegate().labelled(appId);
  }

  @Override
  default Optional<Checkpoint> head(String appId) {
    return delegate().head(appId);
  }

  @Override
  default Optional<Checkpoint> find(String appId, String checkpointId) {
    return delegate().find(appId, checkpointId);
  }

  @Override
  default List<Checkpoint> list(String appId, int limit, Optional<String> beforeId) {
    return delegate().list(appId, limit, beforeId);
  }

  @Override
  default Revision revision(String revisionId) {
    return delegate().revision(revisionId);
  }

  @Override
  default Optional<byte[]> readFile(String revisionId, String path) {
    return delegate().readFile(revisionId, path);
  }

  @Override
  default byte[] readBlob(String blobId) {
    return delegate().readBlob(blobId);
  }

  @Override
  default java.util.Map<String, byte[]> readBlobs(java.util.Collection<String> blobIds) {
    return delegate().readBlobs(blobIds);
  }

  @Override
  default java.util.SortedMap<String, byte[]> contentsOf(java.util.Map<String, FileRef> files) {
    return delegate().contentsOf(files);
  }

  @Override
  default List<String> apps() {
    return delegate().apps();
  }

  @Override
  default SortedMap<String, FileRef> lookup(String revisionId, Collection<String> paths) {
    return delegate().lookup(revisionId, paths);
  }

  @Override
  default SortedMap<String, Optional<FileRef>> diff(String fromRevisionId, String toRevisionId) {
    return delegate().diff(fromRevisionId, toRevisionId);
  }
}
