package io.chatbuilder.core.checkpoint;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.NotFoundException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link CheckpointStore} in memory; lost when the JVM exits. Blobs are stored once per SHA-256;
 * a revision is stored as the changes against its base, with a full snapshot every
 * {@value #SNAPSHOT_EVERY} levels so reading stays bounded. It keeps its apps' leases too (an
 * {@link InMemoryLeaseStore}), and a fenced append checks the lease and appends in one step.
 */
public final class InMemoryCheckpointStore implements CheckpointStore, ForwardingLeaseStore {
  static final int SNAPSHOT_EVERY = 32;

  private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  private final Map<String, StoredRevision> revisions = new ConcurrentHashMap<>();
  private final Map<String, List<Checkpoint>> histories = new HashMap<>();
  private final Map<String, Map<String, Checkpoint>> byId = new HashMap<>();
  /** app id to checkpoint id to its labels; guarded by this. */
  private final Map<String, Map<String, java.util.TreeSet<String>>> labels = new HashMap<>();
  private long nextId = 1;
  private final InMemoryLeaseStore leases = new InMemoryLeaseStore();

  @Override
  public String blobIdOf(byte[] content) {
    return ContentHash.sha256(content);
  }

  @Override
  public synchronized Checkpoint append(CheckpointDraft draft) {
    Objects.requireNonNull(draft, "draft == null");
    List<Checkpoint> history = histories.getOrDefault(draft.appId(), List.of());
    Optional<String> head = history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1).id());
    if (!head.equals(draft.expectedHeadId())) {
      throw new ConflictException("app " + draft.appId() + " head is " + head.orElse("(none)") + ", expected "
          + draft.expectedHeadId().orElse("(none)") + "; reload and retry");
    }
    StoredRevision base = draft.baseRevisionId().map(this::stored).orElse(null);
    Map<String, FileRef> delta = new TreeMap<>();
    Map<String, byte[]> newBlobs = new HashMap<>();
    draft.changes().forEach((path, content) -> {
      if (content.isPresent()) {
        byte[] bytes = content.get();
        String id = blobIdOf(bytes);
        newBlobs.putIfAbsent(id, bytes.clone());
        delta.put(path, new FileRef(id, bytes.length));
      } else {
        delta.put(path, null);
      }
    });
    String revisionId = "r" + nextId;
    String checkpointId = "c" + nextId;
    nextId++;
    int depth = base == null ? 0 : base.depth + 1;
    StoredRevision revision;
    if (base == null || depth % SNAPSHOT_EVERY == 0) {
      SortedMap<String, FileRef> full = base == null ? new TreeMap<>() : new TreeMap<>(materialize(base));
      delta.forEach((path, ref) -> {
        if (ref == null) {
          full.remove(path);
        } else {
          full.put(path, ref);
        }
      });
      revision = new StoredRevision(null, full, depth);
    } else {
      revision = new StoredRevision(base, delta, depth);
    }
    blobs.putAll(newBlobs);
    revisions.put(revisionId, revision);
    Checkpoint checkpoint = draft.toCheckpoint(checkpointId, revisionId);
    histories.computeIfAbsent(draft.appId(), k -> new ArrayList<>()).add(checkpoint);
    byId.computeIfAbsent(draft.appId(), k -> new HashMap<>()).put(checkpointId, checkpoint);
    return checkpoint;
  }

  @Override
  public Checkpoint append(CheckpointDraft draft, Lease lease) {
    CheckpointStore.checkLeaseApp(draft, lease);
    return leases.fenced(lease, () -> append(draft));
  }

  /** Shares the source's revision object: a fork costs one checkpoint, whatever the app's size. */
  @Override
  public synchronized Checkpoint fork(ForkDraft draft) {
    Objects.requireNonNull(draft, "draft == null");
    Checkpoint source = find(draft.sourceAppId(), draft.sourceCheckpointId()).orElseThrow(() -> new NotFoundException(
        "checkpoint " + draft.sourceCheckpointId() + " not found in app " + draft.sourceAppId()));
    List<Checkpoint> history = histories.getOrDefault(draft.appId(), List.of());
    if (!history.isEmpty()) {
      throw new ConflictException("cannot fork onto app " + draft.appId() + ": it already has "
          + history.size() + " checkpoints (head " + history.get(history.size() - 1).id() + ")");
    }
    String checkpointId = "c" + nextId++;
    Checkpoint checkpoint = draft.toCheckpoint(checkpointId, source.resultRevisionId());
    histories.computeIfAbsent(draft.appId(), k -> new ArrayList<>()).add(checkpoint);
    byId.computeIfAbsent(draft.appId(), k -> new HashMap<>()).put(checkpointId, checkpoint);
    return checkpoint;
  }

  @Override
  public Checkpoint fork(ForkDraft draft, Lease lease) {
    CheckpointStore.checkLeaseApp(draft, lease);
    return leases.fenced(lease, () -> fork(draft));
  }

  @Override
  public synchronized java.util.SortedSet<String> addLabel(String appId, String checkpointId, String label) {
    String normalized = CheckpointLabels.check(label);
    requireCheckpoint(appId, checkpointId);
    java.util.TreeSet<String> set = labels.computeIfAbsent(appId, k -> new HashMap<>())
        .computeIfAbsent(checkpointId, k -> new java.util.TreeSet<>());
    if (!set.contains(normalized) && set.size() >= CheckpointLabels.MAX_PER_CHECKPOINT) {
      throw new io.chatbuilder.core.InvalidArgumentException("checkpoint " + checkpointId + " already has "
          + CheckpointLabels.MAX_PER_CHECKPOINT + " labels, the most it can have; remove one first");
    }
    set.add(normalized);
    return java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(set));
  }

  @Override
  public synchronized java.util.SortedSet<String> removeLabel(String appId, String checkpointId, String label) {
    String normalized = CheckpointLabels.check(label);
    requireCheckpoint(appId, checkpointId);
    Map<String, java.util.TreeSet<String>> app = labels.getOrDefault(appId, Map.of());
    java.util.TreeSet<String> set = app.get(checkpointId);
    if (set != null) {
      set.remove(normalized);
      if (set.isEmpty()) {
        app.remove(checkpointId);
      }
    }
    return labels(appId, checkpointId);
  }

  @Override
  public synchronized java.util.SortedSet<String> labels(String appId, String checkpointId) {
    requireCheckpoint(appId, checkpointId);
    java.util.TreeSet<String> set = labels.getOrDefault(appId, Map.of()).get(checkpointId);
    return java.util.Collections.unmodifiableSortedSet(set == null ? new java.util.TreeSet<>() : new java.util.TreeSet<>(set));
  }

  @Override
  public synchronized List<LabelledCheckpoint> findByLabel(String appId, LabelQuery query) {
    Objects.requireNonNull(query, "query == null");
    return labelled(appId, query);
  }

  @Override
  public synchronized List<LabelledCheckpoint> labelled(String appId) {
    return labelled(appId, null);
  }

  private List<LabelledCheckpoint> labelled(String appId, LabelQuery query) {
    Objects.requireNonNull(appId, "appId == null");
    Map<String, java.util.TreeSet<String>> app = labels.getOrDefault(appId, Map.of());
    List<Checkpoint> history = histories.getOrDefault(appId, List.of());
    List<LabelledCheckpoint> out = new ArrayList<>();
    for (int i = history.size() - 1; i >= 0; i--) {
      java.util.TreeSet<String> set = app.get(history.get(i).id());
      if (set != null && !set.isEmpty() && (query == null || set.stream().anyMatch(query::matches))) {
        out.add(new LabelledCheckpoint(history.get(i), set));
      }
    }
    return out;
  }

  private void requireCheckpoint(String appId, String checkpointId) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    if (find(appId, checkpointId).isEmpty()) {
      throw new NotFoundException("checkpoint " + checkpointId + " not found in app " + appId);
    }
  }

  /** The leases of this store's apps, kept with their histories. */
  @Override
  public LeaseStore leases() {
    return leases;
  }

  @Override
  public synchronized Optional<Checkpoint> head(String appId) {
    List<Checkpoint> history = histories.get(appId);
    return history == null || history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
  }

  @Override
  public synchronized Optional<Checkpoint> find(String appId, String checkpointId) {
    Map<String, Checkpoint> ids = byId.get(appId);
    return ids == null ? Optional.empty() : Optional.ofNullable(ids.get(checkpointId));
  }

  @Override
  public synchronized List<Checkpoint> list(String appId, int limit, Optional<String> beforeId) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit < 0");
    }
    List<Checkpoint> history = histories.getOrDefault(appId, List.of());
    int end = history.size();
    if (beforeId.isPresent()) {
      end = -1;
      for (int i = history.size() - 1; i >= 0; i--) {
        if (history.get(i).id().equals(beforeId.get())) {
          end = i;
          break;
        }
      }
      if (end < 0) {
        throw new NotFoundException("checkpoint " + beforeId.get() + " not found in app " + appId);
      }
    }
    List<Checkpoint> out = new ArrayList<>();
    for (int i = end - 1; i >= 0 && out.size() < limit; i--) {
      out.add(history.get(i));
    }
    return out;
  }

  @Override
  public Revision revision(String revisionId) {
    return new Revision(revisionId, materialize(stored(revisionId)));
  }

  @Override
  public Optional<byte[]> readFile(String revisionId, String path) {
    StoredRevision r = stored(revisionId);
    while (r != null) {
      if (r.files.containsKey(path)) {
        FileRef ref = r.files.get(path);
        return ref == null ? Optional.empty() : Optional.of(readBlob(ref.blobId()));
      }
      if (r.base == null) {
        return Optional.empty();
      }
      r = r.base;
    }
    return Optional.empty();
  }

  @Override
  public SortedMap<String, FileRef> lookup(String revisionId, java.util.Collection<String> paths) {
    StoredRevision revision = stored(revisionId);
    SortedMap<String, FileRef> out = new TreeMap<>();
    for (String path : paths) {
      for (StoredRevision r = revision; r != null; r = r.base) {
        if (r.files.containsKey(path)) {
          FileRef ref = r.files.get(path);
          if (ref != null) {
            out.put(path, ref);
          }
          break;
        }
      }
    }
    return out;
  }

  @Override
  public byte[] readBlob(String blobId) {
    byte[] bytes = blobs.get(blobId);
    if (bytes == null) {
      throw new NotFoundException("blob " + blobId + " not found");
    }
    return bytes.clone();
  }

  @Override
  public synchronized List<String> apps() {
    return new ArrayList<>(new TreeMap<>(histories).keySet());
  }

  private StoredRevision stored(String revisionId) {
    StoredRevision r = revisions.get(Objects.requireNonNull(revisionId, "revisionId == null"));
    if (r == null) {
      throw new NotFoundException("revision " + revisionId + " not found");
    }
    return r;
  }

  private static SortedMap<String, FileRef> materialize(StoredRevision revision) {
    List<StoredRevision> chain = new ArrayList<>();
    for (StoredRevision r = revision; r != null; r = r.base) {
      chain.add(r);
    }
    SortedMap<String, FileRef> files = new TreeMap<>();
    for (int i = chain.size() - 1; i >= 0; i--) {
      chain.get(i).files.forEach((path, ref) -> {
        if (ref == null) {
          files.remove(path);
        } else {
          files.put(path, ref);
        }
      });
    }
    return files;
  }

  /** A full file map ({@code base == null}) or the changes against {@code base} (null = deleted). */
  private record StoredRevision(StoredRevision base, Map<String, FileRef> files, int depth) {}
}
