package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.AppId;
import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointLabels;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.ForwardingLeaseStore;
import io.chatbuilder.core.checkpoint.ForkDraft;
import io.chatbuilder.core.checkpoint.LabelQuery;
import io.chatbuilder.core.checkpoint.LabelledCheckpoint;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.Revision;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.json.JsonCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A {@link CheckpointStore} on JDBC.
 *
 * <p>Revisions are <em>skip-deltas</em> (as in Subversion's FSFS): a revision at depth {@code d}
 * on its base chain stores only its differences from the ancestor at depth {@code d & (d - 1)}, so
 * reading one needs the entries of at most {@code log2(d) + 1} revisions (one query), and
 * writing one costs the paths changed over the last {@code lowest-bit(d)} steps, independent of the
 * app's size. When the entries on a read path outgrow twice the file count, the revision is written
 * as a fresh full snapshot and depth restarts at 0, which keeps reads proportional to the file count.
 */
final class JdbcCheckpointStore implements CheckpointStore, ForwardingLeaseStore {
  static final int MAX_PATH_LENGTH = 700;
  static final int MAX_ID_LENGTH = 255;
  private static final int IN_CHUNK = 400;
  private static final int SNAPSHOT_SLACK = 1024;

  private static final String CHECKPOINT_COLUMNS = "app_id, id, seq, parent_id, revision_id, checkpoint_type,"
      + " checkpoint_label, tool_summary, run_id, run_outcome, source_checkpoint_id, conversation_length,"
      + " files_added, files_modified, files_deleted, files_renamed, lines_added, lines_removed, bytes_written,"
      + " created_at_s, created_at_ns, source_app_id";

  private final Transactions transactions;
  private final Dialect dialect;
  private final Tables t;
  private final JsonCodec json;
  private final JdbcLeaseStore leases;
  /** Committed revision rows never change, so they can be remembered (bounded, least recently used). */
  private final Map<String, RevisionMeta> metaCache = new LinkedHashMap<>(256, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, RevisionMeta> eldest) {
      return size() > 4096;
    }
  };

  JdbcCheckpointStore(Transactions transactions, Dialect dialect, Tables tables, JsonCodec json) {
    this.transactions = transactions;
    this.dialect = dialect;
    this.t = tables;
    this.json = json;
    this.leases = new JdbcLeaseStore(transactions, dialect, tables);
  }

  @Override
  public String blobIdOf(byte[] content) {
    return ContentHash.sha256(Objects.requireNonNull(content, "content == null"));
  }

  // ------------------------------------------------------------------------------------ append

  @Override
  public Checkpoint append(CheckpointDraft draft) {
    return append(draft, Optional.empty());
  }

  /** The lease's token is checked, and its row locked, in the transaction that inserts the checkpoint. */
  @Override
  public Checkpoint append(CheckpointDraft draft, Lease lease) {
    CheckpointStore.checkLeaseApp(draft, lease);
    return append(draft, Optional.of(lease));
  }

  /** The leases of this store's apps, kept with their histories. */
  @Override
  public LeaseStore leases() {
    return leases;
  }

  /** Only forwards (release and clearIntent are not overridden): the lease store's one transaction. */
  @Override
  public void clearIntentAndRelease(Lease lease) {
    leases.clearIntentAndRelease(lease);
  }

  private Checkpoint append(CheckpointDraft draft, Optional<Lease> lease) {
    Objects.requireNonNull(draft, "draft == null");
    checkAppId(draft.appId());
    draft.expectedHeadId().ifPresent(id -> checkText("expectedHeadId", id, MAX_ID_LENGTH));
    draft.baseRevisionId().ifPresent(id -> checkText("baseRevisionId", id, MAX_ID_LENGTH));
    checkText("label", draft.label(), Integer.MAX_VALUE);
    draft.runId().ifPresent(id -> checkText("runId", id, MAX_ID_LENGTH));
    draft.sourceCheckpointId().ifPresent(id -> checkText("sourceCheckpointId", id, MAX_ID_LENGTH));
    draft.toolSummary().keySet().forEach(name -> checkText("tool name", name, Integer.MAX_VALUE));

    // Hash and compress before the transaction, so locks are held only for the database work.
    Map<String, Optional<FileRef>> changes = new TreeMap<>();
    SortedMap<String, BlobCodec.Encoded> blobs = new TreeMap<>();
    draft.changes().forEach((path, content) -> {
      checkPath(path);
      if (content.isPresent()) {
        byte[] bytes = content.get();
        String id = blobIdOf(bytes);
        blobs.computeIfAbsent(id, k -> BlobCodec.encode(k, bytes));
        changes.put(path, Optional.of(new FileRef(id, bytes.length)));
      } else {
        changes.put(path, Optional.empty());
      }
    });
    String toolSummary = toJson(draft.toolSummary());
    // One id for every attempt: a retry after a lost commit acknowledgement finds the checkpoint its
    // first attempt committed and returns it, instead of a second checkpoint or a false conflict.
    String checkpointId = newId("c");
    return transactions.inIdempotentTransaction("appending a checkpoint to app " + draft.appId(),
        connection -> {
          Optional<Checkpoint> landed = findIn(connection, draft.appId(), checkpointId);
          if (landed.isPresent()) {
            return landed.get();
          }
          if (lease.isPresent()) {
            // First, so the lease row is locked before the head row (the order every writer uses).
            leases.checkFence(connection, lease.get());
          }
          return appendIn(connection, draft, checkpointId, changes, blobs, toolSummary);
        });
  }

  private Checkpoint appendIn(Connection c, CheckpointDraft draft, String checkpointId,
      Map<String, Optional<FileRef>> changes, SortedMap<String, BlobCodec.Encoded> blobs, String toolSummary)
      throws SQLException {
    long seq = lockHead(c, draft, checkpointId);
    String revisionId = writeRevision(c, draft.baseRevisionId(), changes);
    writeBlobs(c, blobs);
    Checkpoint checkpoint = draft.toCheckpoint(checkpointId, revisionId);
    insertCheckpoint(c, checkpoint, seq, toolSummary);
    if (seq > 1) {
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE " + t.heads + " SET head_id = ?, head_seq = ? WHERE app_id = ? AND head_id = ?")) {
        s.setString(1, checkpointId);
        s.setLong(2, seq);
        s.setString(3, draft.appId());
        s.setString(4, draft.expectedHeadId().orElseThrow());
        if (s.executeUpdate() != 1) {
          throw new StoreException("the head row of app " + draft.appId() + " changed while locked", null);
        }
      }
    }
    return checkpoint;
  }

  /** Locks the app's head row and checks it is the expected one; returns the new checkpoint's seq. */
  private long lockHead(Connection c, CheckpointDraft draft, String newId) throws SQLException {
    String app = draft.appId();
    try (PreparedStatement s = c.prepareStatement(
        "SELECT head_id, head_seq FROM " + t.heads + " WHERE app_id = ? FOR UPDATE")) {
      s.setString(1, app);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          String head = rs.getString(1);
          if (draft.expectedHeadId().isEmpty() || !draft.expectedHeadId().get().equals(head)) {
            throw conflict(app, head, draft.expectedHeadId());
          }
          return rs.getLong(2) + 1;
        }
      }
    }
    if (draft.expectedHeadId().isPresent()) {
      throw conflict(app, "(none)", draft.expectedHeadId());
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO " + t.heads + " (app_id, head_id, head_seq) VALUES (?, ?, 1)")) {
      s.setString(1, app);
      s.setString(2, newId);
      s.executeUpdate();
    } catch (SQLException e) {
      if (Transactions.isDuplicateKey(e)) {
        throw new ConflictException("app " + app + " got its first checkpoint from another writer; reload and retry", e);
      }
      throw e;
    }
    return 1;
  }

  private static ConflictException conflict(String app, String head, Optional<String> expected) {
    return new ConflictException("app " + app + " head is " + head + ", expected " + expected.orElse("(none)")
        + "; reload and retry");
  }

  private String writeRevision(Connection c, Optional<String> baseId, Map<String, Optional<FileRef>> changes)
      throws SQLException {
    if (baseId.isEmpty()) {
      SortedMap<String, FileRef> files = new TreeMap<>();
      changes.forEach((path, ref) -> ref.ifPresent(r -> files.put(path, r)));
      return writeSnapshot(c, null, files);
    }
    RevisionMeta base = meta(c, baseId.get());
    if (changes.isEmpty()) {
      return base.id; // same files: the revision is immutable, share it
    }
    int depth = base.depth + 1;
    int target = depth & (depth - 1);
    List<String> path = base.readPath;
    int split = 0;
    for (int d = base.depth; d > target; d &= d - 1) {
      split++;
    }
    if (split >= path.size()) {
      throw new StoreException("revision " + base.id + " has a read path inconsistent with its depth", null);
    }
    // The new delta is everything between the target ancestor and the new revision.
    Map<String, Optional<FileRef>> delta = overlay(entries(c, path.subList(0, split)), path.subList(0, split));
    delta.putAll(changes);

    Map<String, Optional<FileRef>> before = lookupEntries(c, path, changes.keySet());
    int fileCount = base.fileCount;
    for (Map.Entry<String, Optional<FileRef>> change : changes.entrySet()) {
      boolean existed = before.getOrDefault(change.getKey(), Optional.empty()).isPresent();
      boolean exists = change.getValue().isPresent();
      fileCount += (exists ? 1 : 0) - (existed ? 1 : 0);
    }
    List<String> tail = path.subList(split, path.size());
    long pathEntries = delta.size() + meta(c, tail.get(0)).pathEntries;
    if (pathEntries > 2L * fileCount + SNAPSHOT_SLACK) {
      SortedMap<String, FileRef> files = materialize(c, base);
      changes.forEach((p, ref) -> {
        if (ref.isPresent()) {
          files.put(p, ref.get());
        } else {
          files.remove(p);
        }
      });
      return writeSnapshot(c, base.id, files);
    }
    String id = newId("r");
    List<String> readPath = new ArrayList<>();
    readPath.add(id);
    readPath.addAll(tail);
    insertRevision(c, id, base.id, depth, readPath, delta.size(), pathEntries, fileCount);
    insertEntries(c, id, delta);
    return id;
  }

  private String writeSnapshot(Connection c, String baseId, SortedMap<String, FileRef> files) throws SQLException {
    String id = newId("r");
    insertRevision(c, id, baseId, 0, List.of(id), files.size(), files.size(), files.size());
    Map<String, Optional<FileRef>> entries = new TreeMap<>();
    files.forEach((path, ref) -> entries.put(path, Optional.of(ref)));
    insertEntries(c, id, entries);
    return id;
  }

  private void insertRevision(Connection c, String id, String baseId, int depth, List<String> readPath,
      int entryCount, long pathEntries, int fileCount) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO " + t.revisions
        + " (id, base_id, depth, read_path, entry_count, path_entries, file_count) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, id);
      s.setString(2, baseId);
      s.setInt(3, depth);
      s.setString(4, String.join(" ", readPath));
      s.setInt(5, entryCount);
      s.setLong(6, pathEntries);
      s.setInt(7, fileCount);
      s.executeUpdate();
    }
  }

  private void insertEntries(Connection c, String revisionId, Map<String, Optional<FileRef>> entries)
      throws SQLException {
    if (entries.isEmpty()) {
      return;
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO " + t.entries + " (revision_id, path, blob_id, byte_size) VALUES (?, ?, ?, ?)")) {
      int pending = 0;
      for (Map.Entry<String, Optional<FileRef>> e : entries.entrySet()) {
        s.setString(1, revisionId);
        s.setString(2, e.getKey());
        if (e.getValue().isPresent()) {
          s.setString(3, e.getValue().get().blobId());
          s.setLong(4, e.getValue().get().size());
        } else {
          s.setNull(3, Types.VARCHAR);
          s.setNull(4, Types.BIGINT);
        }
        s.addBatch();
        if (++pending == 1000) {
          s.executeBatch();
          pending = 0;
        }
      }
      if (pending > 0) {
        s.executeBatch();
      }
    }
  }

  private void writeBlobs(Connection c, SortedMap<String, BlobCodec.Encoded> blobs) throws SQLException {
    if (blobs.isEmpty()) {
      return;
    }
    Set<String> existing = new HashSet<>();
    List<String> ids = new ArrayList<>(blobs.keySet());
    for (int from = 0; from < ids.size(); from += IN_CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
      try (PreparedStatement s = c.prepareStatement(
          "SELECT id FROM " + t.blobs + " WHERE id IN (" + placeholders(chunk.size()) + ")")) {
        for (int i = 0; i < chunk.size(); i++) {
          s.setString(i + 1, chunk.get(i));
        }
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            existing.add(rs.getString(1));
          }
        }
      }
    }
    // Sorted ids: concurrent writers of the same new blobs lock them in one order (no deadlock).
    try (PreparedStatement s = c.prepareStatement(dialect.insertBlobIfAbsent(t.blobs))) {
      int pending = 0;
      long pendingBytes = 0;
      for (BlobCodec.Encoded blob : blobs.values()) {
        if (existing.contains(blob.id())) {
          continue;
        }
        s.setString(1, blob.id());
        s.setLong(2, blob.size());
        s.setInt(3, blob.encoding());
        s.setBytes(4, blob.data());
        s.addBatch();
        pending++;
        pendingBytes += blob.data().length;
        if (pending >= 500 || pendingBytes >= 4 << 20) {
          s.executeBatch();
          pending = 0;
          pendingBytes = 0;
        }
      }
      if (pending > 0) {
        s.executeBatch();
      }
    }
  }

  private void insertCheckpoint(Connection c, Checkpoint cp, long seq, String toolSummary) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO " + t.checkpoints + " (" + CHECKPOINT_COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      int i = 1;
      s.setString(i++, cp.appId());
      s.setString(i++, cp.id());
      s.setLong(i++, seq);
      s.setString(i++, cp.parentId().orElse(null));
      s.setString(i++, cp.resultRevisionId());
      s.setString(i++, cp.type().wireName());
      s.setString(i++, cp.label());
      s.setString(i++, toolSummary);
      s.setString(i++, cp.runId().orElse(null));
      s.setString(i++, cp.runOutcome().map(RunOutcome::wireName).orElse(null));
      s.setString(i++, cp.sourceCheckpointId().orElse(null));
      s.setInt(i++, cp.conversationLength());
      ChangeStats st = cp.stats();
      s.setInt(i++, st.filesAdded());
      s.setInt(i++, st.filesModified());
      s.setInt(i++, st.filesDeleted());
      s.setInt(i++, st.filesRenamed());
      s.setLong(i++, st.linesAdded());
      s.setLong(i++, st.linesRemoved());
      s.setLong(i++, st.bytesWritten());
      s.setLong(i++, cp.createdAt().getEpochSecond());
      s.setInt(i++, cp.createdAt().getNano());
      s.setString(i, cp.sourceAppId().orElse(null));
      s.executeUpdate();
    }
  }

  // ------------------------------------------------------------------------------------ forks

  @Override
  public Checkpoint fork(ForkDraft draft) {
    return fork(draft, Optional.empty());
  }

  /** The lease's token is checked, and its row locked, in the transaction that records the fork. */
  @Override
  public Checkpoint fork(ForkDraft draft, Lease lease) {
    CheckpointStore.checkLeaseApp(draft, lease);
    return fork(draft, Optional.of(lease));
  }

  /**
   * One transaction writes the new app's head row and one checkpoint row whose revision_id is the
   * source's: no revision, entry or blob row, so the cost does not depend on the app's size.
   */
  private Checkpoint fork(ForkDraft draft, Optional<Lease> lease) {
    Objects.requireNonNull(draft, "draft == null");
    checkAppId(draft.appId());
    checkAppId(draft.sourceAppId());
    checkText("sourceCheckpointId", draft.sourceCheckpointId(), MAX_ID_LENGTH);
    checkText("label", draft.label(), Integer.MAX_VALUE);
    return transactions.inTransaction("forking app " + draft.sourceAppId() + " into app " + draft.appId(), c -> {
      if (lease.isPresent()) {
        leases.checkFence(c, lease.get());
      }
      String sourceRevision;
      try (PreparedStatement s = c.prepareStatement(
          "SELECT revision_id FROM " + t.checkpoints + " WHERE app_id = ? AND id = ?")) {
        s.setString(1, draft.sourceAppId());
        s.setString(2, draft.sourceCheckpointId());
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            throw new NotFoundException("checkpoint " + draft.sourceCheckpointId() + " not found in app "
                + draft.sourceAppId());
          }
          sourceRevision = rs.getString(1);
        }
      }
      String checkpointId = newId("c");
      CheckpointDraft target = new CheckpointDraft(draft.appId(), Optional.empty(), Optional.empty(), Map.of(),
          CheckpointType.FORK, draft.label(), Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0,
          ChangeStats.EMPTY, draft.createdAt());
      try {
        lockHead(c, target, checkpointId);
      } catch (ConflictException e) {
        throw new ConflictException("cannot fork onto app " + draft.appId() + ": it already has checkpoints ("
            + e.getMessage() + ")", e);
      }
      Checkpoint checkpoint = draft.toCheckpoint(checkpointId, sourceRevision);
      insertCheckpoint(c, checkpoint, 1, "{}");
      return checkpoint;
    });
  }

  // ------------------------------------------------------------------------------------ labels

  /**
   * The checkpoint's row is locked first, so concurrent edits of one checkpoint's labels are
   * serialized (the per-checkpoint limit holds) and appends, which lock only the head, go on.
   */
  @Override
  public SortedSet<String> addLabel(String appId, String checkpointId, String label) {
    String normalized = CheckpointLabels.check(label);
    checkLabelTarget(appId, checkpointId);
    return transactions.inTransaction("labelling checkpoint " + checkpointId + " of app " + appId, c -> {
      lockCheckpoint(c, appId, checkpointId);
      SortedSet<String> labels = labelsOf(c, appId, checkpointId);
      if (labels.contains(normalized)) {
        return Collections.unmodifiableSortedSet(labels);
      }
      if (labels.size() >= CheckpointLabels.MAX_PER_CHECKPOINT) {
        throw new InvalidArgumentException("checkpoint " + checkpointId + " already has "
            + CheckpointLabels.MAX_PER_CHECKPOINT + " labels, the most it can have; remove one first");
      }
      try (PreparedStatement s = c.prepareStatement("INSERT INTO " + t.labels
          + " (app_id, checkpoint_id, label, created_at_ms) VALUES (?, ?, ?, ?)")) {
        s.setString(1, appId);
        s.setString(2, checkpointId);
        s.setString(3, normalized);
        s.setLong(4, System.currentTimeMillis());
        s.executeUpdate();
      }
      labels.add(normalized);
      return Collections.unmodifiableSortedSet(labels);
    });
  }

  @Override
  public SortedSet<String> removeLabel(String appId, String checkpointId, String label) {
    String normalized = CheckpointLabels.check(label);
    checkLabelTarget(appId, checkpointId);
    return transactions.inTransaction("unlabelling checkpoint " + checkpointId + " of app " + appId, c -> {
      lockCheckpoint(c, appId, checkpointId);
      try (PreparedStatement s = c.prepareStatement(
          "DELETE FROM " + t.labels + " WHERE app_id = ? AND checkpoint_id = ? AND label = ?")) {
        s.setString(1, appId);
        s.setString(2, checkpointId);
        s.setString(3, normalized);
        s.executeUpdate();
      }
      return Collections.unmodifiableSortedSet(labelsOf(c, appId, checkpointId));
    });
  }

  @Override
  public SortedSet<String> labels(String appId, String checkpointId) {
    checkLabelTarget(appId, checkpointId);
    return transactions.read("reading the labels of checkpoint " + checkpointId, c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT 1 FROM " + t.checkpoints + " WHERE app_id = ? AND id = ?")) {
        s.setString(1, appId);
        s.setString(2, checkpointId);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            throw new NotFoundException("checkpoint " + checkpointId + " not found in app " + appId);
          }
        }
      }
      return Collections.unmodifiableSortedSet(labelsOf(c, appId, checkpointId));
    });
  }

  @Override
  public List<LabelledCheckpoint> labelled(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return labelledWhere(appId, Optional.empty());
  }

  @Override
  public List<LabelledCheckpoint> findByLabel(String appId, LabelQuery query) {
    Objects.requireNonNull(appId, "appId == null");
    return labelledWhere(appId, Optional.of(Objects.requireNonNull(query, "query == null")));
  }

  /** One query: the matching checkpoints joined with all their labels, newest first. */
  private List<LabelledCheckpoint> labelledWhere(String appId, Optional<LabelQuery> query) {
    if (!AppId.isValid(appId)) {
      return List.of();
    }
    return transactions.read("listing labelled checkpoints of app " + appId, c -> {
      String match = query.isEmpty() ? ""
          : " AND c.id IN (SELECT m.checkpoint_id FROM " + t.labels + " m WHERE m.app_id = ? AND m.label "
              + (query.get().prefix() ? "LIKE ? ESCAPE '!'" : "= ?") + ")";
      try (PreparedStatement s = c.prepareStatement("SELECT " + prefixed("c.", CHECKPOINT_COLUMNS) + ", l.label FROM "
          + t.checkpoints + " c JOIN " + t.labels + " l ON l.app_id = c.app_id AND l.checkpoint_id = c.id"
          + " WHERE c.app_id = ?" + match + " ORDER BY c.seq DESC, l.label")) {
        s.setString(1, appId);
        if (query.isPresent()) {
          s.setString(2, appId);
          s.setString(3, query.get().prefix() ? likePrefix(query.get().text()) : query.get().text());
        }
        Map<String, Checkpoint> checkpoints = new LinkedHashMap<>();
        Map<String, SortedSet<String>> labels = new HashMap<>();
        try (ResultSet rs = s.executeQuery()) {
          int labelColumn = CHECKPOINT_COLUMNS.split(",").length + 1;
          while (rs.next()) {
            String id = rs.getString(2);
            if (!checkpoints.containsKey(id)) {
              checkpoints.put(id, checkpoint(rs));
            }
            labels.computeIfAbsent(id, k -> new TreeSet<>()).add(rs.getString(labelColumn));
          }
        }
        List<LabelledCheckpoint> out = new ArrayList<>(checkpoints.size());
        checkpoints.forEach((id, checkpoint) -> out.add(new LabelledCheckpoint(checkpoint, labels.get(id))));
        return out;
      }
    });
  }

  /** A LIKE pattern for "starts with", with the wildcards and the escape character escaped. */
  static String likePrefix(String prefix) {
    return prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
  }

  private static void checkLabelTarget(String appId, String checkpointId) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    if (!AppId.isValid(appId) || checkpointId.length() > MAX_ID_LENGTH) {
      throw new NotFoundException("checkpoint " + checkpointId + " not found in app " + appId);
    }
  }

  private void lockCheckpoint(Connection c, String appId, String checkpointId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id FROM " + t.checkpoints + " WHERE app_id = ? AND id = ? FOR UPDATE")) {
      s.setString(1, appId);
      s.setString(2, checkpointId);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new NotFoundException("checkpoint " + checkpointId + " not found in app " + appId);
        }
      }
    }
  }

  private SortedSet<String> labelsOf(Connection c, String appId, String checkpointId) throws SQLException {
    SortedSet<String> out = new TreeSet<>();
    try (PreparedStatement s = c.prepareStatement(
        "SELECT label FROM " + t.labels + " WHERE app_id = ? AND checkpoint_id = ?")) {
      s.setString(1, appId);
      s.setString(2, checkpointId);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------ history

  @Override
  public Optional<Checkpoint> head(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transactions.read("reading the head of app " + appId, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + prefixed("c.", CHECKPOINT_COLUMNS) + " FROM "
          + t.heads + " h JOIN " + t.checkpoints + " c ON c.app_id = h.app_id AND c.id = h.head_id WHERE h.app_id = ?")) {
        s.setString(1, appId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? Optional.of(checkpoint(rs)) : Optional.<Checkpoint>empty();
        }
      }
    });
  }

  @Override
  public Optional<Checkpoint> find(String appId, String checkpointId) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    return transactions.read("reading checkpoint " + checkpointId, c -> findIn(c, appId, checkpointId));
  }

  private Optional<Checkpoint> findIn(Connection c, String appId, String checkpointId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT " + CHECKPOINT_COLUMNS + " FROM " + t.checkpoints + " WHERE app_id = ? AND id = ?")) {
      s.setString(1, appId);
      s.setString(2, checkpointId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(checkpoint(rs)) : Optional.<Checkpoint>empty();
      }
    }
  }

  @Override
  public List<Checkpoint> list(String appId, int limit, Optional<String> beforeId) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(beforeId, "beforeId == null");
    if (limit < 0) {
      throw new InvalidArgumentException("limit < 0");
    }
    return transactions.read("listing checkpoints of app " + appId, c -> {
      long beforeSeq = Long.MAX_VALUE;
      if (beforeId.isPresent()) {
        try (PreparedStatement s = c.prepareStatement(
            "SELECT seq FROM " + t.checkpoints + " WHERE app_id = ? AND id = ?")) {
          s.setString(1, appId);
          s.setString(2, beforeId.get());
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
              throw new NotFoundException("checkpoint " + beforeId.get() + " not found in app " + appId);
            }
            beforeSeq = rs.getLong(1);
          }
        }
      }
      List<Checkpoint> out = new ArrayList<>();
      if (limit == 0) {
        return out;
      }
      try (PreparedStatement s = c.prepareStatement("SELECT " + CHECKPOINT_COLUMNS + " FROM " + t.checkpoints
          + " WHERE app_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?")) {
        s.setString(1, appId);
        s.setLong(2, beforeSeq);
        s.setInt(3, limit);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(checkpoint(rs));
          }
        }
      }
      return out;
    });
  }

  @Override
  public List<String> apps() {
    return transactions.read("listing apps", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT app_id FROM " + t.heads);
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      out.sort(null);
      return out;
    });
  }

  private Checkpoint checkpoint(ResultSet rs) throws SQLException {
    Map<String, Integer> toolSummary;
    try {
      toolSummary = json.countsFrom(json.read(rs.getString(8)));
    } catch (InvalidArgumentException e) {
      throw new StoreException("checkpoint " + rs.getString(2) + " has a malformed tool_summary", e);
    }
    return new Checkpoint(
        rs.getString(2),
        rs.getString(1),
        Optional.ofNullable(rs.getString(4)),
        rs.getString(5),
        CheckpointType.fromWireName(rs.getString(6)),
        rs.getString(7),
        toolSummary,
        Optional.ofNullable(rs.getString(9)),
        Optional.ofNullable(rs.getString(10)).map(RunOutcome::fromWireName),
        Optional.ofNullable(rs.getString(11)),
        rs.getInt(12),
        new ChangeStats(rs.getInt(13), rs.getInt(14), rs.getInt(15), rs.getInt(16), rs.getLong(17), rs.getLong(18),
            rs.getLong(19)),
        Instant.ofEpochSecond(rs.getLong(20), rs.getInt(21)),
        Optional.ofNullable(rs.getString(22)));
  }

  // ------------------------------------------------------------------------------------ revisions

  @Override
  public Revision revision(String revisionId) {
    Objects.requireNonNull(revisionId, "revisionId == null");
    return transactions.read("reading revision " + revisionId,
        c -> new Revision(revisionId, materialize(c, meta(c, revisionId))));
  }

  @Override
  public Optional<byte[]> readFile(String revisionId, String path) {
    Objects.requireNonNull(revisionId, "revisionId == null");
    Objects.requireNonNull(path, "path == null");
    return transactions.read("reading " + path + " of revision " + revisionId, c -> readFile(c, meta(c, revisionId), path));
  }

  /**
   * One query: the nearest entry of {@code path} along the read path, joined with its blob, so a
   * file read is a single round trip once the revision row is cached.
   */
  private Optional<byte[]> readFile(Connection c, RevisionMeta meta, String path) throws SQLException {
    List<String> readPath = meta.readPath;
    String where = dialect == Dialect.H2
        ? "(e.revision_id, e.path) IN (" + String.join(", ", java.util.Collections.nCopies(readPath.size(), "(?, ?)")) + ")"
        : "e.revision_id IN (" + placeholders(readPath.size()) + ") AND e.path = ?";
    StringBuilder rank = new StringBuilder("CASE e.revision_id");
    for (int i = 0; i < readPath.size(); i++) {
      rank.append(" WHEN ? THEN ").append(i);
    }
    rank.append(" END");
    try (PreparedStatement s = c.prepareStatement("SELECT e.blob_id, b.byte_size, b.encoding, b.data FROM " + t.entries
        + " e LEFT JOIN " + t.blobs + " b ON b.id = e.blob_id WHERE " + where + " ORDER BY " + rank + " LIMIT 1")) {
      int i = 1;
      if (dialect == Dialect.H2) {
        for (String id : readPath) {
          s.setString(i++, id);
          s.setString(i++, path);
        }
      } else {
        for (String id : readPath) {
          s.setString(i++, id);
        }
        s.setString(i++, path);
      }
      for (String id : readPath) {
        s.setString(i++, id);
      }
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String blobId = rs.getString(1);
        if (blobId == null) {
          return Optional.empty(); // deleted in a nearer delta
        }
        byte[] data = rs.getBytes(4);
        if (data == null) {
          throw new StoreException("blob " + blobId + " of " + path + " is missing", null);
        }
        return Optional.of(verified(blobId, rs.getLong(2), rs.getInt(3), data));
      }
    }
  }

  @Override
  public SortedMap<String, FileRef> lookup(String revisionId, Collection<String> paths) {
    Objects.requireNonNull(revisionId, "revisionId == null");
    Objects.requireNonNull(paths, "paths == null");
    return transactions.read("looking up paths in revision " + revisionId, c -> {
      SortedMap<String, FileRef> out = new TreeMap<>();
      lookupEntries(c, meta(c, revisionId).readPath, paths)
          .forEach((path, ref) -> ref.ifPresent(r -> out.put(path, r)));
      return out;
    });
  }

  /**
   * Compares two revisions through their read paths: the part the two paths share (from the first
   * revision of one that is also on the other: from there on both paths are that revision's read
   * path) holds the same entries for both, so only paths with an entry on the two unshared prefixes
   * can differ. Those are looked up in both revisions. An undo or a diff between nearby
   * checkpoints costs the entries changed since their common ancestor on the skip-delta chain, not
   * the file count; revisions that share nothing (or whose prefixes hold more entries than a
   * manifest) are compared as full manifests.
   */
  @Override
  public SortedMap<String, Optional<FileRef>> diff(String fromRevisionId, String toRevisionId) {
    Objects.requireNonNull(fromRevisionId, "fromRevisionId == null");
    Objects.requireNonNull(toRevisionId, "toRevisionId == null");
    return transactions.read("comparing revisions " + fromRevisionId + " and " + toRevisionId, c -> {
      SortedMap<String, Optional<FileRef>> out = new TreeMap<>();
      if (fromRevisionId.equals(toRevisionId)) {
        meta(c, fromRevisionId); // NotFoundException for an unknown id, as for any other read
        return out;
      }
      RevisionMeta from = meta(c, fromRevisionId);
      RevisionMeta to = meta(c, toRevisionId);
      int fromSplit = -1;
      int toSplit = -1;
      Map<String, Integer> toIndex = new HashMap<>();
      for (int i = 0; i < to.readPath.size(); i++) {
        toIndex.put(to.readPath.get(i), i);
      }
      for (int i = 0; i < from.readPath.size(); i++) {
        Integer j = toIndex.get(from.readPath.get(i));
        if (j != null) {
          fromSplit = i;
          toSplit = j;
          break;
        }
      }
      SortedMap<String, FileRef> fromFiles;
      SortedMap<String, FileRef> toFiles;
      long prefixEntries = fromSplit < 0 ? Long.MAX_VALUE
          : from.pathEntries + to.pathEntries - 2 * meta(c, from.readPath.get(fromSplit)).pathEntries;
      if (prefixEntries > (long) from.fileCount + to.fileCount) {
        fromFiles = materialize(c, from);
        toFiles = materialize(c, to);
      } else {
        List<String> unshared = new ArrayList<>(from.readPath.subList(0, fromSplit));
        unshared.addAll(to.readPath.subList(0, toSplit));
        java.util.Set<String> candidates = new java.util.HashSet<>();
        entries(c, unshared).values().forEach(m -> candidates.addAll(m.keySet()));
        if (candidates.isEmpty()) {
          return out;
        }
        fromFiles = present(lookupEntries(c, from.readPath, candidates));
        toFiles = present(lookupEntries(c, to.readPath, candidates));
      }
      fromFiles.forEach((path, ref) -> {
        FileRef other = toFiles.get(path);
        if (other == null) {
          out.put(path, Optional.empty());
        } else if (!other.blobId().equals(ref.blobId())) {
          out.put(path, Optional.of(other));
        }
      });
      toFiles.forEach((path, ref) -> {
        if (!fromFiles.containsKey(path)) {
          out.put(path, Optional.of(ref));
        }
      });
      return out;
    });
  }

  private static SortedMap<String, FileRef> present(Map<String, Optional<FileRef>> entries) {
    SortedMap<String, FileRef> out = new TreeMap<>();
    entries.forEach((path, ref) -> ref.ifPresent(r -> out.put(path, r)));
    return out;
  }

  @Override
  public byte[] readBlob(String blobId) {
    Objects.requireNonNull(blobId, "blobId == null");
    return transactions.read("reading blob " + blobId, c -> blob(c, blobId));
  }

  /** Batched: one query per {@value #IN_CHUNK} ids, not a round trip per blob (a history move reads thousands). */
  @Override
  public Map<String, byte[]> readBlobs(java.util.Collection<String> blobIds) {
    Objects.requireNonNull(blobIds, "blobIds == null");
    List<String> ids = new ArrayList<>(new java.util.LinkedHashSet<>(blobIds));
    ids.forEach(id -> Objects.requireNonNull(id, "blob id == null"));
    if (ids.isEmpty()) {
      return Map.of();
    }
    return transactions.read("reading " + ids.size() + " blobs", c -> {
      Map<String, byte[]> out = new HashMap<>();
      for (int from = 0; from < ids.size(); from += IN_CHUNK) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
        try (PreparedStatement s = c.prepareStatement(
            "SELECT id, byte_size, encoding, data FROM " + t.blobs + " WHERE id IN (" + placeholders(chunk.size()) + ")")) {
          for (int i = 0; i < chunk.size(); i++) {
            s.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              String id = rs.getString(1);
              out.put(id, verified(id, rs.getLong(2), rs.getInt(3), rs.getBytes(4)));
            }
          }
        }
      }
      for (String id : ids) {
        if (!out.containsKey(id)) {
          throw new NotFoundException("blob " + id + " not found");
        }
      }
      return out;
    });
  }

  private byte[] blob(Connection c, String blobId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT byte_size, encoding, data FROM " + t.blobs + " WHERE id = ?")) {
      s.setString(1, blobId);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new NotFoundException("blob " + blobId + " not found");
        }
        return verified(blobId, rs.getLong(1), rs.getInt(2), rs.getBytes(3));
      }
    }
  }

  private static byte[] verified(String blobId, long size, int encoding, byte[] stored) {
    byte[] bytes = BlobCodec.decode(blobId, size, encoding, stored);
    if (bytes.length != size || !ContentHash.sha256(bytes).equals(blobId)) {
      throw new StoreException("blob " + blobId + " is corrupt: its bytes do not hash to its id", null);
    }
    return bytes;
  }

  /** One revision's bookkeeping row. */
  private record RevisionMeta(String id, int depth, List<String> readPath, long pathEntries, int fileCount) {}

  private RevisionMeta meta(Connection c, String revisionId) throws SQLException {
    synchronized (metaCache) {
      RevisionMeta cached = metaCache.get(revisionId);
      if (cached != null) {
        return cached;
      }
    }
    // Only committed rows are visible here (the appending transaction never reads its own new
    // revision back), so whatever is found may be cached.
    try (PreparedStatement s = c.prepareStatement(
        "SELECT depth, read_path, path_entries, file_count FROM " + t.revisions + " WHERE id = ?")) {
      s.setString(1, revisionId);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new NotFoundException("revision " + revisionId + " not found");
        }
        RevisionMeta meta = new RevisionMeta(revisionId, rs.getInt(1), List.of(rs.getString(2).split(" ")),
            rs.getLong(3), rs.getInt(4));
        synchronized (metaCache) {
          metaCache.put(revisionId, meta);
        }
        return meta;
      }
    }
  }

  /** Entries of the given revisions, keyed by revision id. */
  private Map<String, Map<String, Optional<FileRef>>> entries(Connection c, List<String> revisionIds)
      throws SQLException {
    Map<String, Map<String, Optional<FileRef>>> out = new HashMap<>();
    if (revisionIds.isEmpty()) {
      return out;
    }
    try (PreparedStatement s = c.prepareStatement("SELECT revision_id, path, blob_id, byte_size FROM " + t.entries
        + " WHERE revision_id IN (" + placeholders(revisionIds.size()) + ")")) {
      for (int i = 0; i < revisionIds.size(); i++) {
        s.setString(i + 1, revisionIds.get(i));
      }
      s.setFetchSize(1000);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), ref(rs));
        }
      }
    }
    return out;
  }

  /** Applies per-revision entries from the farthest (last in {@code path}) to the nearest. */
  private static Map<String, Optional<FileRef>> overlay(Map<String, Map<String, Optional<FileRef>>> byRevision,
      List<String> path) {
    Map<String, Optional<FileRef>> out = new TreeMap<>();
    for (int i = path.size() - 1; i >= 0; i--) {
      out.putAll(byRevision.getOrDefault(path.get(i), Map.of()));
    }
    return out;
  }

  private SortedMap<String, FileRef> materialize(Connection c, RevisionMeta meta) throws SQLException {
    SortedMap<String, FileRef> files = new TreeMap<>();
    overlay(entries(c, meta.readPath), meta.readPath).forEach((path, ref) -> ref.ifPresent(r -> files.put(path, r)));
    return files;
  }

  /**
   * The nearest entry of each path along a read path: present = the file, empty = deleted; paths
   * without any entry are left out (absent).
   */
  private Map<String, Optional<FileRef>> lookupEntries(Connection c, List<String> readPath, Collection<String> paths)
      throws SQLException {
    Map<String, Integer> rank = new HashMap<>();
    for (int i = 0; i < readPath.size(); i++) {
      rank.put(readPath.get(i), i);
    }
    Map<String, Optional<FileRef>> out = new HashMap<>();
    Map<String, Integer> bestRank = new HashMap<>();
    List<String> list = new ArrayList<>(new HashSet<>(paths));
    // H2 uses only the first key column for "a IN (..) AND b IN (..)", scanning a whole snapshot;
    // a row-value IN hits the (revision_id, path) key exactly. PostgreSQL and MariaDB combine both
    // IN lists on the key by themselves.
    boolean rowValues = dialect == Dialect.H2;
    int chunkSize = rowValues ? Math.max(1, IN_CHUNK / readPath.size()) : IN_CHUNK;
    for (int from = 0; from < list.size(); from += chunkSize) {
      List<String> chunk = list.subList(from, Math.min(list.size(), from + chunkSize));
      String where = rowValues
          ? "(revision_id, path) IN (" + String.join(", ", java.util.Collections.nCopies(readPath.size() * chunk.size(), "(?, ?)")) + ")"
          : "revision_id IN (" + placeholders(readPath.size()) + ") AND path IN (" + placeholders(chunk.size()) + ")";
      try (PreparedStatement s = c.prepareStatement("SELECT revision_id, path, blob_id, byte_size FROM " + t.entries
          + " WHERE " + where)) {
        int i = 1;
        if (rowValues) {
          for (String id : readPath) {
            for (String path : chunk) {
              s.setString(i++, id);
              s.setString(i++, path);
            }
          }
        } else {
          for (String id : readPath) {
            s.setString(i++, id);
          }
          for (String path : chunk) {
            s.setString(i++, path);
          }
        }
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            int r = rank.get(rs.getString(1));
            String path = rs.getString(2);
            Integer best = bestRank.get(path);
            if (best == null || r < best) {
              bestRank.put(path, r);
              out.put(path, ref(rs));
            }
          }
        }
      }
    }
    return out;
  }

  private static Optional<FileRef> ref(ResultSet rs) throws SQLException {
    String blobId = rs.getString(3);
    return blobId == null ? Optional.empty() : Optional.of(new FileRef(blobId, rs.getLong(4)));
  }

  // ------------------------------------------------------------------------------------ helpers

  private String toJson(Map<String, Integer> counts) {
    return json.write(json.countsTree(counts));
  }

  static String newId(String kind) {
    return kind + UUID.randomUUID().toString().replace("-", "");
  }

  static String placeholders(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?"));
  }

  private static String prefixed(String alias, String columns) {
    StringBuilder out = new StringBuilder();
    for (String column : columns.split(",")) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(alias).append(column.strip());
    }
    return out.toString();
  }

  static void checkAppId(String appId) {
    AppId.check(appId);
  }

  static void checkText(String what, String value, int maxLength) {
    Objects.requireNonNull(value, what + " == null");
    if (value.length() > maxLength) {
      throw new InvalidArgumentException(what + " is longer than " + maxLength + " characters");
    }
    if (value.indexOf('\0') >= 0) {
      throw new InvalidArgumentException(what + " contains a NUL character");
    }
  }

  private static void checkPath(String path) {
    checkText("path", path, MAX_PATH_LENGTH);
    if (path.isEmpty()) {
      throw new InvalidArgumentException("path is empty");
    }
  }
}
