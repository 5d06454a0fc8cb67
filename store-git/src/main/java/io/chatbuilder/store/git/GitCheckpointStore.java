package io.chatbuilder.store.git;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointLabels;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.ForwardingLeaseStore;
import io.chatbuilder.core.checkpoint.ForkDraft;
import io.chatbuilder.core.checkpoint.InMemoryLeaseStore;
import io.chatbuilder.core.checkpoint.LabelQuery;
import io.chatbuilder.core.checkpoint.LabelledCheckpoint;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.Revision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilterGroup;
import org.eclipse.jgit.treewalk.filter.TreeFilter;
import org.eclipse.jgit.util.FS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CheckpointStore} in a bare Git repository that stock {@code git} can read, push and diff.
 *
 * <ul>
 *   <li>each app is one ref, {@code refs/chatbuilder/apps/<app>} ({@link #refName});
 *   <li>each checkpoint is a commit on it: checkpoint id = commit id, revision id = tree id, blob
 *       id = git blob id; the checkpoint's fields are trailers of the commit message;
 *   <li>appending is a compare-and-set ref update (a {@code .lock} file, so safe across threads and
 *       processes): the loser gets {@link ConflictException};
 *   <li>a checkpoint that changes k files writes k blobs, the trees on their paths and one commit;
 *       loose objects are packed every {@link Builder#packEvery} appends on a background thread;
 *   <li>leases are kept in this process's memory (an {@link InMemoryLeaseStore}), and a fenced
 *       append checks the lease and moves the ref while takeovers wait. <b>Single-writer rule:</b>
 *       leases hold only among the users of this one object, so one process (one store object)
 *       writes a repository; a second process on it is not told {@code busy}, only refused by the
 *       compare-and-set (a {@link ConflictException}) when the head moved. Hosts that scale out
 *       share the JDBC store instead.
 * </ul>
 *
 * <p>Thread-safe. Close it to stop background maintenance and release the repository.
 */
public final class GitCheckpointStore implements CheckpointStore, ForwardingLeaseStore, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GitCheckpointStore.class);
  /** How long a held ref lock is waited for before it counts as a conflict. */
  static final long LOCK_TIMEOUT_MILLIS = 2_000;
  /** Checkpoints with at least this many changed files write one pack instead of loose objects. */
  static final int BULK_CHANGES = 100;

  private final FileRepository repo;
  private final PersonIdent identity;
  private final int packEvery;
  private final Maintenance maintenance;
  private final ExecutorService maintenanceThread;
  private final AtomicLong appends = new AtomicLong();
  private final AtomicBoolean maintenanceQueued = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<String, AppHistory> histories = new ConcurrentHashMap<>();
  private final InMemoryLeaseStore leases = new InMemoryLeaseStore();

  private GitCheckpointStore(Builder builder, FileRepository repo) {
    this.repo = repo;
    this.identity = new PersonIdent(builder.committerName, builder.committerEmail);
    this.packEvery = builder.packEvery;
    this.maintenance = new Maintenance(repo, builder.maxPacks);
    this.maintenanceThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "chatbuilder-store-git-maintenance");
      t.setDaemon(true);
      return t;
    });
  }

  /** Opens (or creates) a store in the bare repository at {@code gitDir} with default settings. */
  public static GitCheckpointStore open(Path gitDir) {
    return builder(gitDir).build();
  }

  public static Builder builder(Path gitDir) {
    return new Builder(gitDir);
  }

  /** The ref that holds {@code appId}'s checkpoints, e.g. for {@code git log <ref>}. */
  public static String refName(String appId) {
    return AppRefs.refName(appId);
  }

  /** The bare repository this store writes. */
  public Path directory() {
    return repo.getDirectory().toPath();
  }

  @Override
  public String blobIdOf(byte[] content) {
    Objects.requireNonNull(content, "content == null");
    try (ObjectInserter.Formatter f = new ObjectInserter.Formatter()) {
      return f.idFor(Constants.OBJ_BLOB, content).name();
    }
  }

  @Override
  public Checkpoint append(CheckpointDraft draft, Lease lease) {
    CheckpointStore.checkLeaseApp(draft, lease);
    return leases.fenced(lease, () -> append(draft));
  }

  /** The leases of this store's apps, kept with their histories. */
  @Override
  public LeaseStore leases() {
    return leases;
  }

  @Override
  public Checkpoint append(CheckpointDraft draft) {
    Objects.requireNonNull(draft, "draft == null");
    String ref = AppRefs.refName(draft.appId());
    draft.changes().keySet().forEach(TreeEditor::segments); // refuse bad paths before writing anything
    Optional<ObjectId> expected = draft.expectedHeadId().map(id -> ObjectId.isId(id) ? ObjectId.fromString(id) : null);
    try (ObjectInserter inserter = newInserter(draft.changes().size());
        ObjectReader reader = inserter.newReader()) {
      ObjectId head = currentHead(ref);
      if (!Objects.equals(head, expected.orElse(null)) || (draft.expectedHeadId().isPresent() && expected.isEmpty())) {
        throw conflict(draft, head);
      }
      ObjectId base = draft.baseRevisionId().isPresent() ? tree(reader, draft.baseRevisionId().get()) : null;
      Map<String, Optional<ObjectId>> changes = new TreeMap<>();
      for (Map.Entry<String, Optional<byte[]>> change : draft.changes().entrySet()) {
        Optional<byte[]> content = change.getValue();
        changes.put(change.getKey(), content.isPresent()
            ? Optional.of(inserter.insert(Constants.OBJ_BLOB, content.get()))
            : Optional.empty());
      }
      ObjectId tree = new TreeEditor(reader, inserter).apply(base, changes);

      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(tree);
      expected.ifPresent(commit::setParentId);
      PersonIdent when = new PersonIdent(identity, draft.createdAt(), ZoneOffset.UTC);
      commit.setAuthor(when);
      commit.setCommitter(when);
      commit.setEncoding(StandardCharsets.UTF_8);
      commit.setMessage(CheckpointMessage.format(draft));
      ObjectId commitId = inserter.insert(commit);
      inserter.flush();

      moveHead(draft, ref, expected.orElse(null), commitId, when, reader);
      history(draft.appId()).appended(expected.orElse(null), commitId);
      afterAppend();
      return new Checkpoint(commitId.name(), draft.appId(), expected.map(ObjectId::name), tree.name(), draft.type(),
          draft.label(), draft.toolSummary(), draft.runId(), draft.runOutcome(), draft.sourceCheckpointId(),
          draft.conversationLength(), draft.stats(), draft.createdAt());
    } catch (IOException e) {
      throw new StoreException("git repository " + repo.getDirectory() + ": append to " + ref + " failed: " + e, e);
    }
  }

  @Override
  public Checkpoint fork(ForkDraft draft, Lease lease) {
    CheckpointStore.checkLeaseApp(draft, lease);
    return leases.fenced(lease, () -> fork(draft));
  }

  /**
   * A fork is one commit whose tree is the source checkpoint's tree (already in this repository,
   * so nothing else is written) and a new ref created by compare-and-set from "absent". The commit
   * has no parent: the new app's history starts there, and its trailers name the source.
   */
  @Override
  public Checkpoint fork(ForkDraft draft) {
    Objects.requireNonNull(draft, "draft == null");
    String ref = AppRefs.refName(draft.appId());
    Checkpoint source = find(draft.sourceAppId(), draft.sourceCheckpointId()).orElseThrow(() -> new NotFoundException(
        "checkpoint " + draft.sourceCheckpointId() + " not found in app " + draft.sourceAppId()));
    CheckpointDraft asDraft = new CheckpointDraft(draft.appId(), Optional.empty(), Optional.empty(), Map.of(),
        CheckpointType.FORK, draft.label(), Map.of(), Optional.empty(), Optional.empty(),
        Optional.of(draft.sourceCheckpointId()), draft.conversationLength(), draft.stats(), draft.createdAt());
    try (ObjectInserter inserter = repo.newObjectInserter(); ObjectReader reader = inserter.newReader()) {
      ObjectId head = currentHead(ref);
      if (head != null) {
        throw forkConflict(draft, head.name());
      }
      ObjectId tree = ObjectId.fromString(source.resultRevisionId());
      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(tree);
      PersonIdent when = new PersonIdent(identity, draft.createdAt(), ZoneOffset.UTC);
      commit.setAuthor(when);
      commit.setCommitter(when);
      commit.setEncoding(StandardCharsets.UTF_8);
      commit.setMessage(CheckpointMessage.format(asDraft, Optional.of(draft.sourceAppId())));
      ObjectId commitId = inserter.insert(commit);
      inserter.flush();
      try {
        moveHead(asDraft, ref, null, commitId, when, reader);
      } catch (ConflictException e) {
        throw forkConflict(draft, e.getMessage());
      }
      history(draft.appId()).appended(null, commitId);
      afterAppend();
      return draft.toCheckpoint(commitId.name(), tree.name());
    } catch (IOException e) {
      throw new StoreException("git repository " + repo.getDirectory() + ": fork onto " + ref + " failed: " + e, e);
    }
  }

  private static ConflictException forkConflict(ForkDraft draft, String why) {
    return new ConflictException("cannot fork onto app " + draft.appId() + ": it already has checkpoints (" + why
        + "); nothing was written");
  }

  // ------------------------------------------------------------------ labels

  /**
   * Labels live on their own ref per app, {@code refs/chatbuilder/labels/<app>}: a chain of commits
   * (the log of label edits) whose tree has one file per labelled checkpoint, named by its id,
   * holding its labels one per line. The checkpoint commits are never rewritten. Edits are
   * compare-and-set on that ref, retried on contention (a label edit commutes with any other).
   */
  @Override
  public SortedSet<String> addLabel(String appId, String checkpointId, String label) {
    String normalized = CheckpointLabels.check(label);
    return editLabels(appId, checkpointId, "add " + normalized, labels -> {
      if (labels.contains(normalized)) {
        return false;
      }
      if (labels.size() >= CheckpointLabels.MAX_PER_CHECKPOINT) {
        throw new InvalidArgumentException("checkpoint " + checkpointId + " already has "
            + CheckpointLabels.MAX_PER_CHECKPOINT + " labels, the most it can have; remove one first");
      }
      return labels.add(normalized);
    });
  }

  @Override
  public SortedSet<String> removeLabel(String appId, String checkpointId, String label) {
    String normalized = CheckpointLabels.check(label);
    return editLabels(appId, checkpointId, "remove " + normalized, labels -> labels.remove(normalized));
  }

  @Override
  public SortedSet<String> labels(String appId, String checkpointId) {
    requireCheckpoint(appId, checkpointId);
    String ref = AppRefs.labelsRefName(appId);
    try (ObjectReader reader = repo.newObjectReader()) {
      SortedSet<String> labels = readLabels(reader, currentHead(ref)).get(checkpointId);
      return Collections.unmodifiableSortedSet(labels == null ? new TreeSet<>() : labels);
    } catch (IOException e) {
      throw readFailed(ref, e);
    }
  }

  @Override
  public List<LabelledCheckpoint> labelled(String appId) {
    return labelledMatching(appId, labels -> true);
  }

  @Override
  public List<LabelledCheckpoint> findByLabel(String appId, LabelQuery query) {
    Objects.requireNonNull(query, "query == null");
    return labelledMatching(appId, labels -> labels.stream().anyMatch(query::matches));
  }

  private List<LabelledCheckpoint> labelledMatching(String appId,
      java.util.function.Predicate<SortedSet<String>> wanted) {
    String ref = AppRefs.refName(appId);
    try (ObjectReader reader = repo.newObjectReader()) {
      AppHistory history = history(appId);
      history.syncTo(currentHead(ref), reader);
      SortedMap<String, SortedSet<String>> all = readLabels(reader, currentHead(AppRefs.labelsRefName(appId)));
      List<Map.Entry<Integer, ObjectId>> matching = new ArrayList<>();
      all.forEach((id, labels) -> {
        ObjectId commit = ObjectId.fromString(id);
        int position = history.position(commit);
        if (position >= 0 && !labels.isEmpty() && wanted.test(labels)) {
          matching.add(Map.entry(position, commit));
        }
      });
      matching.sort(Map.Entry.<Integer, ObjectId>comparingByKey().reversed());
      List<LabelledCheckpoint> out = new ArrayList<>(matching.size());
      for (Map.Entry<Integer, ObjectId> m : matching) {
        out.add(new LabelledCheckpoint(checkpoint(reader, appId, m.getValue()), all.get(m.getValue().name())));
      }
      return out;
    } catch (IOException e) {
      throw readFailed(AppRefs.labelsRefName(appId), e);
    }
  }

  private interface LabelEdit {
    /** Changes {@code labels} in place; false if nothing changed. */
    boolean apply(TreeSet<String> labels);
  }

  private SortedSet<String> editLabels(String appId, String checkpointId, String what, LabelEdit edit) {
    requireCheckpoint(appId, checkpointId);
    String ref = AppRefs.labelsRefName(appId);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5 * LOCK_TIMEOUT_MILLIS);
    try (ObjectInserter inserter = repo.newObjectInserter(); ObjectReader reader = inserter.newReader()) {
      for (int attempt = 0; ; attempt++) {
        ObjectId old = currentHead(ref);
        SortedSet<String> current = readLabels(reader, old).get(checkpointId);
        TreeSet<String> labels = current == null ? new TreeSet<>() : new TreeSet<>(current);
        if (!edit.apply(labels)) {
          return Collections.unmodifiableSortedSet(labels);
        }
        ObjectId oldTree = null;
        if (old != null) {
          try (RevWalk walk = new RevWalk(reader)) {
            oldTree = walk.parseCommit(old).getTree().copy();
          }
        }
        Map<String, Optional<ObjectId>> change = new TreeMap<>();
        change.put(checkpointId, labels.isEmpty() ? Optional.empty()
            : Optional.of(inserter.insert(Constants.OBJ_BLOB, (String.join("\n", labels) + "\n").getBytes(StandardCharsets.UTF_8))));
        ObjectId tree = new TreeEditor(reader, inserter).apply(oldTree, change);
        CommitBuilder commit = new CommitBuilder();
        commit.setTreeId(tree);
        if (old != null) {
          commit.setParentId(old);
        }
        PersonIdent when = new PersonIdent(identity, java.time.Instant.now(), ZoneOffset.UTC);
        commit.setAuthor(when);
        commit.setCommitter(when);
        commit.setEncoding(StandardCharsets.UTF_8);
        commit.setMessage("Labels of " + checkpointId + ": " + what + "\n\n" + CheckpointMessage.APP + ": "
            + CheckpointMessage.escape(appId) + "\n");
        ObjectId commitId = inserter.insert(commit);
        inserter.flush();
        RefUpdate update = repo.updateRef(ref);
        update.setExpectedOldObjectId(old == null ? ObjectId.zeroId() : old);
        update.setNewObjectId(commitId);
        update.setRefLogIdent(when);
        update.setRefLogMessage("labels: " + what, false);
        RefUpdate.Result result;
        try (RevWalk walk = new RevWalk(reader)) {
          result = update.update(walk);
        }
        switch (result) {
          case NEW, FAST_FORWARD -> {
            return Collections.unmodifiableSortedSet(labels);
          }
          case LOCK_FAILURE, REJECTED -> {
            if (System.nanoTime() > deadline) {
              throw new ConflictException("the labels of app " + appId + " (" + ref + ") stayed locked or kept"
                  + " changing; nothing was written, retry");
            }
            sleepBeforeRetry(attempt);
          }
          default -> throw new StoreException("could not move " + ref + " to " + commitId.name() + ": " + result, null);
        }
      }
    } catch (IOException e) {
      throw new StoreException("git repository " + repo.getDirectory() + ": editing " + ref + " failed: " + e, e);
    }
  }

  /** Checkpoint id to labels, from the tree of the labels ref's commit (empty without one). */
  private static SortedMap<String, SortedSet<String>> readLabels(ObjectReader reader, ObjectId labelsCommit)
      throws IOException {
    SortedMap<String, SortedSet<String>> out = new TreeMap<>();
    if (labelsCommit == null) {
      return out;
    }
    try (RevWalk walk = new RevWalk(reader); TreeWalk tree = new TreeWalk(reader)) {
      tree.addTree(walk.parseCommit(labelsCommit).getTree());
      while (tree.next()) {
        String name = tree.getPathString();
        if (!ObjectId.isId(name) || !isFile(tree.getFileMode(0))) {
          continue; // not written by this store
        }
        String text = new String(reader.open(tree.getObjectId(0), Constants.OBJ_BLOB).getBytes(1 << 20),
            StandardCharsets.UTF_8);
        SortedSet<String> labels = new TreeSet<>();
        for (String line : text.split("\n")) {
          if (!line.isEmpty()) {
            labels.add(line);
          }
        }
        out.put(name, labels);
      }
    }
    return out;
  }

  private void requireCheckpoint(String appId, String checkpointId) {
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    if (find(appId, checkpointId).isEmpty()) {
      throw new NotFoundException("checkpoint " + checkpointId + " not found in app " + appId);
    }
  }

  /**
   * Compare-and-set of the app's ref. A held lock with the head unchanged is another writer about
   * to move it, or a short-lived maintenance lock (packing refs): like git's
   * {@code core.filesRefLockTimeout}, retry briefly; then the head decides between conflict and
   * success. A lock that outlives {@link #LOCK_TIMEOUT_MILLIS} is reported as a conflict naming it.
   */
  private void moveHead(CheckpointDraft draft, String ref, ObjectId expected, ObjectId commitId, PersonIdent who,
      ObjectReader reader) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOCK_TIMEOUT_MILLIS);
    for (int attempt = 0; ; attempt++) {
      RefUpdate update = repo.updateRef(ref);
      update.setExpectedOldObjectId(expected == null ? ObjectId.zeroId() : expected);
      update.setNewObjectId(commitId);
      update.setRefLogIdent(who);
      update.setRefLogMessage("checkpoint: " + draft.type().wireName(), false);
      RefUpdate.Result result;
      try (RevWalk walk = new RevWalk(reader)) {
        result = update.update(walk);
      }
      switch (result) {
        case NEW, FAST_FORWARD -> {
          return;
        }
        case LOCK_FAILURE -> {
          ObjectId head = currentHead(ref);
          if (!Objects.equals(head, expected)) {
            throw conflict(draft, head);
          }
          if (System.nanoTime() > deadline) {
            throw new ConflictException("app " + draft.appId() + ": " + ref + " stayed locked for "
                + LOCK_TIMEOUT_MILLIS + " ms (another writer, or a stale " + ref + ".lock left by a crashed"
                + " process: delete that file if no writer is running); nothing was written");
          }
          sleepBeforeRetry(attempt);
        }
        case REJECTED, REJECTED_MISSING_OBJECT, NO_CHANGE -> throw conflict(draft, currentHead(ref));
        default -> throw new StoreException("could not move " + ref + " to " + commitId.name() + ": " + result, null);
      }
    }
  }

  private static void sleepBeforeRetry(int attempt) {
    try {
      Thread.sleep(Math.min(50, 1L << Math.min(attempt, 5)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new io.chatbuilder.core.CancelledException("interrupted while waiting for a ref lock");
    }
  }

  @Override
  public Optional<Checkpoint> head(String appId) {
    String ref = AppRefs.refName(appId);
    try (ObjectReader reader = repo.newObjectReader()) {
      ObjectId head = currentHead(ref);
      history(appId).syncTo(head, reader);
      return head == null ? Optional.empty() : Optional.of(checkpoint(reader, appId, head));
    } catch (IOException e) {
      throw readFailed(ref, e);
    }
  }

  @Override
  public Optional<Checkpoint> find(String appId, String checkpointId) {
    String ref = AppRefs.refName(appId);
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    if (!ObjectId.isId(checkpointId)) {
      return Optional.empty();
    }
    ObjectId id = ObjectId.fromString(checkpointId);
    try (ObjectReader reader = repo.newObjectReader()) {
      AppHistory history = history(appId);
      history.syncTo(currentHead(ref), reader);
      return history.contains(id) ? Optional.of(checkpoint(reader, appId, id)) : Optional.empty();
    } catch (IOException e) {
      throw readFailed(ref, e);
    }
  }

  @Override
  public List<Checkpoint> list(String appId, int limit, Optional<String> beforeId) {
    String ref = AppRefs.refName(appId);
    Objects.requireNonNull(beforeId, "beforeId == null");
    if (limit < 0) {
      throw new InvalidArgumentException("limit < 0");
    }
    try (ObjectReader reader = repo.newObjectReader()) {
      AppHistory history = history(appId);
      history.syncTo(currentHead(ref), reader);
      ObjectId before = null;
      if (beforeId.isPresent()) {
        before = ObjectId.isId(beforeId.get()) ? ObjectId.fromString(beforeId.get()) : null;
        if (before == null) {
          throw new NotFoundException("checkpoint " + beforeId.get() + " not found in app " + appId);
        }
      }
      List<ObjectId> ids = history.page(limit, before);
      if (ids == null) {
        throw new NotFoundException("checkpoint " + beforeId.get() + " not found in app " + appId);
      }
      List<Checkpoint> out = new ArrayList<>(ids.size());
      for (ObjectId id : ids) {
        out.add(checkpoint(reader, appId, id));
      }
      return out;
    } catch (IOException e) {
      throw readFailed(ref, e);
    }
  }

  @Override
  public Revision revision(String revisionId) {
    try (ObjectReader reader = repo.newObjectReader(); TreeWalk walk = new TreeWalk(reader)) {
      walk.addTree(tree(reader, revisionId));
      walk.setRecursive(true);
      TreeMap<String, FileRef> files = new TreeMap<>();
      while (walk.next()) {
        if (isFile(walk.getFileMode(0))) {
          files.put(walk.getPathString(), fileRef(reader, walk.getObjectId(0)));
        }
      }
      return new Revision(revisionId, files);
    } catch (IOException e) {
      throw readFailed("revision " + revisionId, e);
    }
  }

  @Override
  public Optional<byte[]> readFile(String revisionId, String path) {
    Objects.requireNonNull(path, "path == null");
    try (ObjectReader reader = repo.newObjectReader()) {
      ObjectId tree = tree(reader, revisionId);
      if (!isStorable(path)) {
        return Optional.empty(); // git cannot hold such a path, so no revision has it
      }
      try (TreeWalk walk = TreeWalk.forPath(reader, path, tree)) {
        if (walk == null || !isFile(walk.getFileMode(0))) {
          return Optional.empty();
        }
        return Optional.of(reader.open(walk.getObjectId(0), Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE));
      }
    } catch (IOException e) {
      throw readFailed("revision " + revisionId + " path " + path, e);
    }
  }

  /** Walks only the subtrees on the requested paths. */
  @Override
  public SortedMap<String, FileRef> lookup(String revisionId, Collection<String> paths) {
    Objects.requireNonNull(paths, "paths == null");
    try (ObjectReader reader = repo.newObjectReader()) {
      ObjectId tree = tree(reader, revisionId);
      List<String> storable = new ArrayList<>();
      for (String path : paths) {
        if (isStorable(Objects.requireNonNull(path, "path == null"))) {
          storable.add(path);
        }
      }
      TreeMap<String, FileRef> out = new TreeMap<>();
      if (storable.isEmpty()) {
        return out;
      }
      Set<String> wanted = new HashSet<>(storable);
      try (TreeWalk walk = new TreeWalk(reader)) {
        walk.addTree(tree);
        walk.setRecursive(true);
        walk.setFilter(PathFilterGroup.createFromStrings(storable));
        while (walk.next()) {
          String path = walk.getPathString();
          if (wanted.contains(path) && isFile(walk.getFileMode(0))) {
            out.put(path, fileRef(reader, walk.getObjectId(0)));
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw readFailed("revision " + revisionId, e);
    }
  }

  /** Compares the two trees by id: subtrees with equal ids are skipped without being read. */
  @Override
  public SortedMap<String, Optional<FileRef>> diff(String fromRevisionId, String toRevisionId) {
    try (ObjectReader reader = repo.newObjectReader(); TreeWalk walk = new TreeWalk(reader)) {
      walk.addTree(tree(reader, fromRevisionId));
      walk.addTree(tree(reader, toRevisionId));
      walk.setRecursive(true);
      walk.setFilter(TreeFilter.ANY_DIFF);
      TreeMap<String, Optional<FileRef>> out = new TreeMap<>();
      while (walk.next()) {
        boolean inFrom = isFile(walk.getFileMode(0));
        boolean inTo = isFile(walk.getFileMode(1));
        if (inTo && (!inFrom || !walk.idEqual(0, 1))) {
          out.put(walk.getPathString(), Optional.of(fileRef(reader, walk.getObjectId(1))));
        } else if (inFrom && !inTo) {
          out.put(walk.getPathString(), Optional.empty());
        }
      }
      return out;
    } catch (IOException e) {
      throw readFailed("revisions " + fromRevisionId + ", " + toRevisionId, e);
    }
  }

  private static FileRef fileRef(ObjectReader reader, ObjectId blob) throws IOException {
    return new FileRef(blob.name(), reader.getObjectSize(blob, Constants.OBJ_BLOB));
  }

  private static boolean isStorable(String path) {
    try {
      TreeEditor.segments(path);
      return true;
    } catch (InvalidArgumentException e) {
      return false;
    }
  }

  @Override
  public byte[] readBlob(String blobId) {
    Objects.requireNonNull(blobId, "blobId == null");
    if (!ObjectId.isId(blobId)) {
      throw new NotFoundException("blob " + blobId + " not found");
    }
    try (ObjectReader reader = repo.newObjectReader()) {
      return reader.open(ObjectId.fromString(blobId), Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE);
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      throw new NotFoundException("blob " + blobId + " not found", e);
    } catch (IOException e) {
      throw readFailed("blob " + blobId, e);
    }
  }

  @Override
  public List<String> apps() {
    try {
      List<String> apps = new ArrayList<>();
      for (Ref ref : repo.getRefDatabase().getRefsByPrefix(AppRefs.PREFIX)) {
        AppRefs.appId(ref.getName()).ifPresent(apps::add);
      }
      apps.sort(null);
      return apps;
    } catch (IOException e) {
      throw readFailed("refs", e);
    }
  }

  /**
   * Packs loose objects now, and consolidates packs when there are many; the same work the store
   * does by itself every {@link Builder#packEvery} appends.
   */
  public void pack() {
    try {
      maintenance.run();
    } catch (IOException e) {
      throw new StoreException("git repository " + repo.getDirectory() + ": packing failed: " + e, e);
    }
  }

  /** Waits for background maintenance to finish (up to a minute), then releases the repository. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    maintenanceThread.shutdown();
    try {
      if (!maintenanceThread.awaitTermination(1, TimeUnit.MINUTES)) {
        LOG.warn("maintenance of {} still running at close", repo.getDirectory());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    repo.close();
  }

  private void afterAppend() {
    if (packEvery > 0 && appends.incrementAndGet() % packEvery == 0 && maintenanceQueued.compareAndSet(false, true)) {
      try {
        maintenanceThread.execute(() -> {
          maintenanceQueued.set(false);
          try {
            maintenance.run();
          } catch (IOException | RuntimeException e) {
            LOG.warn("background packing of {} failed; will retry after the next {} appends",
                repo.getDirectory(), packEvery, e);
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        maintenanceQueued.set(false); // closing
      }
    }
  }

  /**
   * Loose objects for ordinary checkpoints (cheap to write, packed later); one pack file for big
   * ones such as the initial import of an app, instead of thousands of loose files.
   */
  private ObjectInserter newInserter(int changes) {
    if (changes >= BULK_CHANGES) {
      PackInserter inserter = repo.getObjectDatabase().newPackInserter();
      inserter.checkExisting(true);
      return inserter;
    }
    return repo.newObjectInserter();
  }

  private AppHistory history(String appId) {
    return histories.computeIfAbsent(appId, k -> new AppHistory());
  }

  private ObjectId currentHead(String ref) throws IOException {
    Ref r = repo.exactRef(ref);
    return r == null ? null : r.getObjectId();
  }

  private Checkpoint checkpoint(ObjectReader reader, String appId, ObjectId id) throws IOException {
    try (RevWalk walk = new RevWalk(reader)) {
      RevCommit commit = walk.parseCommit(id);
      Optional<String> parent = commit.getParentCount() == 0 ? Optional.empty() : Optional.of(commit.getParent(0).name());
      Checkpoint parsed;
      try {
        parsed = CheckpointMessage.parse(commit.name(), parent, commit.getTree().name(), commit.getFullMessage());
      } catch (IllegalArgumentException e) {
        throw new StoreException("commit " + commit.name() + " on " + AppRefs.refName(appId)
            + " is not a ChatBuilder checkpoint: " + e.getMessage(), e);
      }
      // The ref is authoritative for the app, whatever the trailer says (refs can be renamed by pushes).
      return new Checkpoint(parsed.id(), appId, parsed.parentId(), parsed.resultRevisionId(), parsed.type(), parsed.label(),
          parsed.toolSummary(), parsed.runId(), parsed.runOutcome(), parsed.sourceCheckpointId(),
          parsed.conversationLength(), parsed.stats(), parsed.createdAt(), parsed.sourceAppId());
    }
  }

  /** The tree a revision id names. @throws NotFoundException unless it is a tree of this repository */
  private static ObjectId tree(ObjectReader reader, String revisionId) throws IOException {
    Objects.requireNonNull(revisionId, "revisionId == null");
    if (!ObjectId.isId(revisionId)) {
      throw new NotFoundException("revision " + revisionId + " not found");
    }
    ObjectId id = ObjectId.fromString(revisionId);
    try {
      if (reader.open(id).getType() != Constants.OBJ_TREE) {
        throw new NotFoundException("revision " + revisionId + " not found (not a tree)");
      }
    } catch (MissingObjectException e) {
      throw new NotFoundException("revision " + revisionId + " not found", e);
    }
    return id;
  }

  private static boolean isFile(FileMode mode) {
    return mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
  }

  private static ConflictException conflict(CheckpointDraft draft, ObjectId head) {
    return new ConflictException("app " + draft.appId() + " head is " + (head == null ? "(none)" : head.name())
        + ", expected " + draft.expectedHeadId().orElse("(none)") + "; reload and retry");
  }

  private StoreException readFailed(String what, IOException e) {
    return new StoreException("git repository " + repo.getDirectory() + ": reading " + what + " failed: " + e, e);
  }

  /** Settings of a {@link GitCheckpointStore}; {@link #build()} opens or creates the repository. */
  public static final class Builder {
    private final Path gitDir;
    private int packEvery = 256;
    private int maxPacks = 16;
    private String committerName = "ChatBuilder";
    private String committerEmail = "chatbuilder@localhost";

    private Builder(Path gitDir) {
      this.gitDir = Objects.requireNonNull(gitDir, "gitDir == null");
    }

    /** Pack loose objects after every {@code appends} appends (default 256); 0 turns it off. */
    public Builder packEvery(int appends) {
      if (appends < 0) {
        throw new IllegalArgumentException("packEvery < 0");
      }
      this.packEvery = appends;
      return this;
    }

    /** Repack everything into one pack when there are more than {@code packs} packs (default 16). */
    public Builder maxPacks(int packs) {
      if (packs < 1) {
        throw new IllegalArgumentException("maxPacks < 1");
      }
      this.maxPacks = packs;
      return this;
    }

    /** Author and committer of checkpoint commits (default {@code ChatBuilder <chatbuilder@localhost>}). */
    public Builder committer(String name, String email) {
      Objects.requireNonNull(name, "name == null");
      Objects.requireNonNull(email, "email == null");
      if (name.isBlank() || name.chars().anyMatch(c -> c == '<' || c == '>' || c < 0x20)
          || email.chars().anyMatch(c -> c == '<' || c == '>' || c <= 0x20)) {
        throw new IllegalArgumentException("committer must be a plain name and e-mail address");
      }
      this.committerName = name;
      this.committerEmail = email;
      return this;
    }

    /**
     * Opens the bare repository at the directory, creating it when the directory is missing or
     * empty. Refuses a non-empty directory that is not a git repository and a repository with a
     * working tree: the store owns its repository.
     */
    public GitCheckpointStore build() {
      // JGit measures the file system's timestamp resolution on first use of a file store, which
      // blocks for seconds; in the background it uses conservative defaults meanwhile (safe: more
      // re-reads of refs, never stale ones).
      FS.FileStoreAttributes.setBackground(true);
      try {
        Files.createDirectories(gitDir);
        boolean empty;
        try (Stream<Path> entries = Files.list(gitDir)) {
          empty = entries.findAny().isEmpty();
        }
        FileRepository repo = (FileRepository) new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setBare().build();
        if (empty) {
          repo.create(true);
        } else if (!Files.isRegularFile(gitDir.resolve("HEAD")) || !Files.isDirectory(gitDir.resolve("objects"))) {
          repo.close();
          throw new InvalidArgumentException("not a git repository and not empty: " + gitDir);
        } else if (!repo.getConfig().getBoolean(ConfigConstants.CONFIG_CORE_SECTION, ConfigConstants.CONFIG_KEY_BARE, false)) {
          repo.close();
          throw new InvalidArgumentException("not a bare repository (it has a working tree): " + gitDir
              + "; store-git needs a bare repository of its own");
        }
        return new GitCheckpointStore(this, repo);
      } catch (IOException e) {
        throw new StoreException("cannot open git repository " + gitDir + ": " + e, e);
      }
    }
  }
}
