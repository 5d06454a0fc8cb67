package io.chatbuilder.core.checkpoint;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Persists apps' append-only checkpoint histories and their content-addressed revisions.
 *
 * <p>Contract (checked by {@code CheckpointStoreContract} in the testkit):
 * <ul>
 *   <li>{@link #append} is atomic and compare-and-set on the app's head;
 *   <li>blobs are content-addressed: equal bytes are stored once; a checkpoint that changes k
 *       files costs O(k) writes, not O(size of the app);
 *   <li>nothing is ever deleted or rewritten: every revision stays readable byte for byte.
 * </ul>
 * Implementations are thread-safe.
 */
public interface CheckpointStore {

  /**
   * The content address this store gives {@code content}; equal bytes always give equal ids. Lets
   * callers compare files with a revision without reading blobs.
   */
  String blobIdOf(byte[] content);

  /**
   * Appends a checkpoint; see {@link CheckpointDraft} for the all-or-nothing and compare-and-set
   * rules.
   *
   * @throws io.chatbuilder.core.ConflictException if the head is not the expected one
   * @throws io.chatbuilder.core.NotFoundException if the base revision does not exist
   */
  Checkpoint append(CheckpointDraft draft);

  /**
   * Appends like {@link #append(CheckpointDraft)}, but only while {@code lease} is the app's live
   * lease: a holder that lost its lease (expired, released, taken over) cannot append. Stores that
   * also keep leases (they implement {@link LeaseStore}) check the token in the same atomic step as
   * the append; {@code ChatBuilder} calls this when the checkpoint store is also its lease store.
   * With a separate lease store it checks the lease just before a plain {@link #append(CheckpointDraft)},
   * which is not atomic: stores shared by several hosts should keep the leases themselves. This
   * default cannot check and only appends.
   *
   * @throws io.chatbuilder.core.LeaseLostException if the lease is not the app's live one; nothing
   *     was written
   * @throws io.chatbuilder.core.InvalidArgumentException if the lease is for another app
   */
  default Checkpoint append(CheckpointDraft draft, Lease lease) {
    checkLeaseApp(draft, lease);
    return append(draft);
  }

  /** @throws io.chatbuilder.core.InvalidArgumentException if the lease and the draft name different apps */
  static void checkLeaseApp(CheckpointDraft draft, Lease lease) {
    java.util.Objects.requireNonNull(draft, "draft == null");
    java.util.Objects.requireNonNull(lease, "lease == null");
    if (!lease.appId().equals(draft.appId())) {
      throw new io.chatbuilder.core.InvalidArgumentException("a lease on app " + lease.appId()
          + " cannot fence a checkpoint of app " + draft.appId());
    }
  }

  /**
   * Forks: records {@code draft.appId()}'s first checkpoint, of type {@link CheckpointType#FORK},
   * on the source checkpoint's revision, in O(1) storage (the revision and its blobs are shared,
   * never copied). Atomic: the target is checked and its head created in one step, so of two
   * concurrent forks onto one new app exactly one wins. This default refuses: stores that support
   * forks (every bundled one) override it.
   *
   * @throws io.chatbuilder.core.ConflictException if the target app already has checkpoints
   * @throws io.chatbuilder.core.NotFoundException if the source app has no such checkpoint
   */
  default Checkpoint fork(ForkDraft draft) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support forks");
  }

  /**
   * Forks like {@link #fork(ForkDraft)}, only while {@code lease} (on the new app) is live; the
   * same rules as {@link #append(CheckpointDraft, Lease)}. This default cannot check and only forks.
   *
   * @throws io.chatbuilder.core.LeaseLostException if the lease is not the new app's live one
   * @throws io.chatbuilder.core.InvalidArgumentException if the lease is for another app
   */
  default Checkpoint fork(ForkDraft draft, Lease lease) {
    checkLeaseApp(draft, lease);
    return fork(draft);
  }

  /** @throws io.chatbuilder.core.InvalidArgumentException if the lease is not on the fork's new app */
  static void checkLeaseApp(ForkDraft draft, Lease lease) {
    java.util.Objects.requireNonNull(draft, "draft == null");
    java.util.Objects.requireNonNull(lease, "lease == null");
    if (!lease.appId().equals(draft.appId())) {
      throw new io.chatbuilder.core.InvalidArgumentException("a lease on app " + lease.appId()
          + " cannot fence a fork onto app " + draft.appId());
    }
  }

  /**
   * Adds a label to a checkpoint (idempotent) and returns its labels. Labels are metadata kept
   * beside the history: the checkpoint and the chain are not rewritten. See {@link CheckpointLabels}
   * for the rules; the label is stored normalized. This default refuses, like {@link #fork}.
   *
   * @throws io.chatbuilder.core.InvalidArgumentException if the label is invalid or the checkpoint
   *     already has {@value CheckpointLabels#MAX_PER_CHECKPOINT} labels
   * @throws io.chatbuilder.core.NotFoundException if the app has no such checkpoint
   */
  default java.util.SortedSet<String> addLabel(String appId, String checkpointId, String label) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support labels");
  }

  /**
   * Removes a label from a checkpoint and returns its remaining labels; removing a label it does
   * not have changes nothing.
   *
   * @throws io.chatbuilder.core.InvalidArgumentException if the label is invalid
   * @throws io.chatbuilder.core.NotFoundException if the app has no such checkpoint
   */
  default java.util.SortedSet<String> removeLabel(String appId, String checkpointId, String label) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support labels");
  }

  /** A checkpoint's labels. @throws io.chatbuilder.core.NotFoundException if the app has no such checkpoint */
  default java.util.SortedSet<String> labels(String appId, String checkpointId) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support labels");
  }

  /** The app's checkpoints with at least one label matching {@code query}, newest first, with all their labels. */
  default List<LabelledCheckpoint> findByLabel(String appId, LabelQuery query) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support labels");
  }

  /** The app's checkpoints that have any label, newest first, with all their labels. */
  default List<LabelledCheckpoint> labelled(String appId) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support labels");
  }

  /** The latest checkpoint of an app, empty if it has none. */
  Optional<Checkpoint> head(String appId);

  /** One checkpoint of an app, empty if the app has no such checkpoint. */
  Optional<Checkpoint> find(String appId, String checkpointId);

  /**
   * Checkpoints of an app, newest first: at most {@code limit}, starting after
   * {@code beforeId} (exclusive) when given, for paging.
   */
  List<Checkpoint> list(String appId, int limit, Optional<String> beforeId);

  /** The full file set of a revision. @throws io.chatbuilder.core.NotFoundException if unknown */
  Revision revision(String revisionId);

  /** One file of a revision without reading the others; empty if the revision lacks the path. */
  Optional<byte[]> readFile(String revisionId, String path);

  /** The bytes of a blob. @throws io.chatbuilder.core.NotFoundException if unknown */
  byte[] readBlob(String blobId);

  /**
   * The bytes of many blobs at once: blob id to bytes, one entry per distinct id given. History moves
   * read every changed file's old and new content, so a store with a round trip per read (a database
   * server) should override this with batched reads. This default reads them one by one.
   *
   * @throws io.chatbuilder.core.NotFoundException if any id is unknown (nothing is returned then)
   */
  default java.util.Map<String, byte[]> readBlobs(Collection<String> blobIds) {
    java.util.Objects.requireNonNull(blobIds, "blobIds == null");
    java.util.Map<String, byte[]> out = new java.util.HashMap<>();
    for (String id : blobIds) {
      out.computeIfAbsent(java.util.Objects.requireNonNull(id, "blob id == null"), this::readBlob);
    }
    return out;
  }

  /**
   * The content of each file of {@code files} (path to its ref), path to bytes: the blobs read in one
   * {@link #readBlobs} batch, each distinct blob once.
   *
   * @throws io.chatbuilder.core.NotFoundException if a blob is unknown
   */
  default java.util.SortedMap<String, byte[]> contentsOf(java.util.Map<String, FileRef> files) {
    java.util.Objects.requireNonNull(files, "files == null");
    java.util.Map<String, byte[]> blobs = readBlobs(files.values().stream().map(FileRef::blobId).distinct().toList());
    java.util.SortedMap<String, byte[]> out = new java.util.TreeMap<>();
    files.forEach((path, ref) -> out.put(path, blobs.get(ref.blobId())));
    return out;
  }

  /** Ids of apps that have at least one checkpoint. */
  List<String> apps();

  /**
   * The entries of some paths in a revision (absent paths are left out), without materializing the
   * whole revision. Called with the few paths a run changed, so a checkpoint stays O(changes); the
   * default reads the whole revision, stores should override it.
   */
  default SortedMap<String, FileRef> lookup(String revisionId, Collection<String> paths) {
    SortedMap<String, FileRef> all = revision(revisionId).files();
    SortedMap<String, FileRef> out = new TreeMap<>();
    for (String path : paths) {
      FileRef ref = all.get(path);
      if (ref != null) {
        out.put(path, ref);
      }
    }
    return out;
  }

  /**
   * The paths whose content differs between two revisions: path to its entry in {@code to}, or to
   * {@link Optional#empty()} where {@code to} lacks it. The default compares full manifests; stores
   * with trees (Git) can skip unchanged subtrees by id.
   */
  default SortedMap<String, Optional<FileRef>> diff(String fromRevisionId, String toRevisionId) {
    SortedMap<String, FileRef> from = revision(fromRevisionId).files();
    SortedMap<String, FileRef> to = revision(toRevisionId).files();
    SortedMap<String, Optional<FileRef>> out = new TreeMap<>();
    from.forEach((path, ref) -> {
      FileRef other = to.get(path);
      if (other == null) {
        out.put(path, Optional.empty());
      } else if (!other.blobId().equals(ref.blobId())) {
        out.put(path, Optional.of(other));
      }
    });
    to.forEach((path, ref) -> {
      if (!from.containsKey(path)) {
        out.put(path, Optional.of(ref));
      }
    });
    return out;
  }
}
