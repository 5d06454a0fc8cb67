package io.chatbuilder.core.internal;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDiff;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.HistoryOptions;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoint semantics of DESIGN §3.2 on top of a {@link CheckpointStore} and a {@link Sandbox}:
 * capture, initial, undo, redo, restore, revert-file and diff. Callers hold the app's lease and pass it
 * to every method that writes, which appends only under it. Not API.
 *
 * <p>Undo and redo follow the usual editor model, derived from the append-only history (oldest to
 * newest): a change ({@link CheckpointType#isChange()}) pushes itself on the undo stack and clears
 * the redo stack; an undo pops the undo stack and pushes itself on the redo stack; a redo pops the
 * redo stack and pushes itself on the undo stack. Undoing checkpoint E restores E's parent's files;
 * redoing undo U restores U's parent's files. The derived stacks are cached per app by head id.
 */
public final class History {
  private static final Logger LOG = LoggerFactory.getLogger(History.class);
  /** Text files up to this size get a unified diff. */
  static final int MAX_DIFF_BYTES = 512 * 1024;

  private final CheckpointStore store;
  private final LeaseStore leases;
  private final ConversationStore conversations;
  private final Clock clock;
  private final Map<String, Stacks> stacks = new ConcurrentHashMap<>();
  /** Per app, the head the workspace was last brought in line with by this process. */
  private final Map<String, String> syncedHeads = new ConcurrentHashMap<>();
  /** Per app, files too large to checkpoint that were left out of captures; never overwritten. */
  private final Map<String, java.util.Set<String>> uncaptured = new ConcurrentHashMap<>();

  public History(CheckpointStore store, LeaseStore leases, ConversationStore conversations, Clock clock) {
    this.store = Objects.requireNonNull(store, "store == null");
    this.leases = Objects.requireNonNull(leases, "leases == null");
    this.conversations = Objects.requireNonNull(conversations, "conversations == null");
    this.clock = Objects.requireNonNull(clock, "clock == null");
  }

  public CheckpointStore store() {
    return store;
  }

  /** A checkpoint and the file changes it recorded against its parent. */
  public record Recorded(Checkpoint checkpoint, List<FileChange> changes) {}

  /** The app's head, recording an {@code initial} checkpoint of the sandbox's files if it has none. */
  public Checkpoint initialize(String appId, Sandbox sandbox, Lease lease) {
    Optional<Checkpoint> head = store.head(appId);
    if (head.isPresent()) {
      String synced = syncedHeads.putIfAbsent(appId, head.get().id());
      if (synced != null && !synced.equals(head.get().id())) {
        // Another host moved the head. A workspace the hosts share already holds the head's files:
        // then there is nothing to load (checked only when the head moved, O(files of the app)).
        if (differences(sandbox, store.revision(head.get().resultRevisionId()).files()).isEmpty()) {
          syncedHeads.put(appId, head.get().id());
          return head.get();
        }
        // A workspace of this host alone (one directory per host) still holds the files of the head
        // it last saw, untouched since: load the newer head's changes, as a fast-forward.
        Optional<Checkpoint> mine = store.find(appId, synced);
        if (mine.isPresent() && differences(sandbox, store.revision(mine.get().resultRevisionId()).files()).isEmpty()) {
          ChangeScan scan = sandbox.scanChanges();
          SortedMap<String, Optional<byte[]>> changes = contents(store.diff(mine.get().resultRevisionId(),
              head.get().resultRevisionId()));
          guardUncaptured(appId, sandbox, changes.keySet());
          sandbox.apply(changes);
          sandbox.acknowledgeChanges(scan.generation());
          syncedHeads.put(appId, head.get().id());
          stacks.remove(appId);
          return head.get();
        }
        throw new ConflictException("app " + appId + "'s history was changed by another host (head "
            + head.get().id() + ", this workspace matches " + synced + "); nothing was written and the files here are "
            + "unchanged; call resync to record them and load the new head");
      }
      return head.get();
    }
    ChangeScan scan = sandbox.scanChanges();
    SortedMap<String, Optional<byte[]>> files = new TreeMap<>();
    for (String path : sandbox.files().keySet()) {
      try {
        readForCheckpoint(sandbox, path).ifPresent(bytes -> files.put(path, Optional.of(bytes)));
      } catch (TooLargeException e) {
        LOG.warn("app {}: not checkpointing {}: {}", appId, path, e.getMessage());
        uncaptured.computeIfAbsent(appId, k -> ConcurrentHashMap.newKeySet()).add(path);
      }
    }
    List<FileChange> changes = Changes.between(new TreeMap<>(), files);
    Checkpoint initial = append(lease, new CheckpointDraft(appId, Optional.empty(), Optional.empty(), files,
        CheckpointType.INITIAL, "Initial files", Map.of(), Optional.empty(), Optional.empty(), Optional.empty(),
        conversations.size(appId), ChangeStats.of(changes), now()));
    sandbox.acknowledgeChanges(scan.generation());
    syncedHeads.put(appId, initial.id());
    return initial;
  }

  /**
   * Records whatever differs between the sandbox and the head as one checkpoint, or nothing if
   * nothing differs. Costs O(paths the sandbox reports as possibly changed).
   */
  public Optional<Recorded> capture(String appId, Sandbox sandbox, CheckpointType type, String label,
      Optional<String> runId, Optional<RunOutcome> outcome, Map<String, Integer> toolSummary, Lease lease) {
    Checkpoint head = initialize(appId, sandbox, lease);
    ChangeScan scan = sandbox.scanChanges();
    if (scan.paths().isEmpty()) {
      return Optional.empty();
    }
    SortedMap<String, FileRef> known = store.lookup(head.resultRevisionId(), scan.paths());
    SortedMap<String, Optional<byte[]>> after = new TreeMap<>();
    for (String path : scan.paths()) {
      Optional<byte[]> current;
      try {
        current = readForCheckpoint(sandbox, path);
      } catch (TooLargeException e) {
        // Recording it as deleted would let a later restore overwrite the only copy: leave it out,
        // and refuse to overwrite it until it shrinks (see guardUncaptured).
        LOG.warn("app {}: not checkpointing {}: {}", appId, path, e.getMessage());
        uncaptured.computeIfAbsent(appId, k -> ConcurrentHashMap.newKeySet()).add(path);
        continue;
      }
      forgetUncaptured(appId, path);
      FileRef ref = known.get(path);
      if (current.isEmpty() && ref == null) {
        continue;
      }
      if (current.isPresent() && ref != null && ref.blobId().equals(store.blobIdOf(current.get()))) {
        continue;
      }
      after.put(path, current);
    }
    if (after.isEmpty()) {
      sandbox.acknowledgeChanges(scan.generation());
      return Optional.empty();
    }
    SortedMap<String, Optional<byte[]>> before = contents(refsOf(known, after.keySet()));
    List<FileChange> changes = Changes.between(before, after);
    Checkpoint checkpoint = append(lease, new CheckpointDraft(appId, Optional.of(head.id()), Optional.of(head.resultRevisionId()),
        after, type, label, toolSummary, runId, outcome, Optional.empty(), conversations.size(appId),
        ChangeStats.of(changes), now()));
    sandbox.acknowledgeChanges(scan.generation());
    syncedHeads.put(appId, checkpoint.id());
    return Optional.of(new Recorded(checkpoint, changes));
  }

  /**
   * Brings this workspace in line with the store's head after another host moved it: the files that
   * differ here are first recorded on top of the head (a {@code manual} checkpoint, so nothing is
   * lost), then the head's files are restored. Costs O(files of the app).
   */
  public Optional<Recorded> resync(String appId, Sandbox sandbox, Lease lease) {
    Optional<Checkpoint> found = store.head(appId);
    if (found.isEmpty()) {
      initialize(appId, sandbox, lease);
      return Optional.empty();
    }
    Checkpoint head = found.get();
    Optional<Checkpoint> synced = Optional.ofNullable(syncedHeads.get(appId)).flatMap(id -> store.find(appId, id));
    if (synced.isPresent() && !synced.get().id().equals(head.id())) {
      // If nothing was edited here since this host's last checkpoint, just load the newer files.
      SortedMap<String, FileRef> mine = store.revision(synced.get().resultRevisionId()).files();
      ChangeScan scan = sandbox.scanChanges();
      if (differences(sandbox, mine).isEmpty()) {
        SortedMap<String, Optional<byte[]>> changes = contents(store.diff(synced.get().resultRevisionId(),
            head.resultRevisionId()));
        guardUncaptured(appId, sandbox, changes.keySet());
        sandbox.apply(changes);
        sandbox.acknowledgeChanges(scan.generation());
        syncedHeads.put(appId, head.id());
        stacks.remove(appId);
        return Optional.empty();
      }
    }
    SortedMap<String, FileRef> headFiles = store.revision(head.resultRevisionId()).files();
    ChangeScan scan = sandbox.scanChanges();
    SortedMap<String, Optional<byte[]>> local = differences(sandbox, headFiles);
    syncedHeads.put(appId, head.id());
    stacks.remove(appId);
    if (local.isEmpty()) {
      sandbox.acknowledgeChanges(scan.generation());
      return Optional.empty();
    }
    SortedMap<String, Optional<byte[]>> before = contents(refsOf(headFiles, local.keySet()));
    List<FileChange> changes = Changes.between(before, local);
    Checkpoint saved = append(lease, new CheckpointDraft(appId, Optional.of(head.id()), Optional.of(head.resultRevisionId()), local,
        CheckpointType.MANUAL, "Files of this host before loading another host's changes", Map.of(), Optional.empty(),
        Optional.empty(), Optional.empty(), conversations.size(appId), ChangeStats.of(changes), now()));
    sandbox.acknowledgeChanges(scan.generation());
    syncedHeads.put(appId, saved.id());
    return Optional.of(moveTo(appId, sandbox, saved, head.resultRevisionId(), CheckpointType.RESTORE,
        "Load the latest changes: " + describe(head), head.id(), false, lease));
  }

  /** Each path's content (empty = absent), the blobs read from the store in one batch. */
  private SortedMap<String, Optional<byte[]>> contents(Map<String, Optional<FileRef>> refs) {
    Map<String, FileRef> present = new TreeMap<>();
    refs.forEach((path, ref) -> ref.ifPresent(r -> present.put(path, r)));
    SortedMap<String, byte[]> read = store.contentsOf(present);
    SortedMap<String, Optional<byte[]>> out = new TreeMap<>();
    refs.keySet().forEach(path -> out.put(path, Optional.ofNullable(read.get(path))));
    return out;
  }

  /** For each of {@code paths}, its ref in {@code files} or empty where {@code files} lacks it. */
  private static SortedMap<String, Optional<FileRef>> refsOf(Map<String, FileRef> files, java.util.Collection<String> paths) {
    SortedMap<String, Optional<FileRef>> out = new TreeMap<>();
    paths.forEach(path -> out.put(path, Optional.ofNullable(files.get(path))));
    return out;
  }

  /** Workspace files whose content differs from {@code files}: path to current content (empty = absent). */
  private SortedMap<String, Optional<byte[]>> differences(Sandbox sandbox, SortedMap<String, FileRef> files) {
    SortedMap<String, Optional<byte[]>> out = new TreeMap<>();
    java.util.Set<String> paths = new java.util.TreeSet<>(files.keySet());
    paths.addAll(sandbox.files().keySet());
    for (String path : paths) {
      Optional<byte[]> current = readForCheckpoint(sandbox, path);
      FileRef ref = files.get(path);
      boolean same = current.isEmpty() ? ref == null : ref != null && ref.blobId().equals(store.blobIdOf(current.get()));
      if (!same) {
        out.put(path, current);
      }
    }
    return out;
  }

  /** Captures edits made outside the agent as a {@code manual} checkpoint, so an overwrite loses nothing. */
  public Optional<Recorded> captureExternalEdits(String appId, Sandbox sandbox, String why, Lease lease) {
    return capture(appId, sandbox, CheckpointType.MANUAL, "Edits made outside the agent (" + why + ")",
        Optional.empty(), Optional.empty(), Map.of(), lease);
  }

  public Recorded undo(String appId, Sandbox sandbox, HistoryOptions options, Lease lease) {
    captureExternalEdits(appId, sandbox, "before undo", lease);
    Checkpoint head = store.head(appId).orElseThrow();
    Stacks s = stacksAt(appId, head);
    if (s.undo.isEmpty()) {
      throw new NothingToDoException("nothing to undo in app " + appId);
    }
    Checkpoint undone = require(appId, s.undo.peek());
    Checkpoint before = require(appId, undone.parentId().orElseThrow());
    Recorded recorded = moveTo(appId, sandbox, head, before.resultRevisionId(), CheckpointType.UNDO,
        "Undo: " + describe(undone), undone.id(), true, lease);
    tellModel(appId, recorded, options, before.conversationLength(),
        "The person undid the change \"" + describe(undone) + "\" (checkpoint " + undone.id()
            + "). The files are back to how they were before it; read files again before editing them.");
    return recorded;
  }

  public Recorded redo(String appId, Sandbox sandbox, HistoryOptions options, Lease lease) {
    Optional<Recorded> captured = captureExternalEdits(appId, sandbox, "before redo", lease);
    Checkpoint head = store.head(appId).orElseThrow();
    Stacks s = stacksAt(appId, head);
    if (s.redo.isEmpty()) {
      throw new NothingToDoException(captured.isPresent()
          ? "nothing to redo in app " + appId + ": edits made outside the agent were recorded as checkpoint "
              + captured.get().checkpoint().id() + ", and a new change clears redo"
          : "nothing to redo in app " + appId);
    }
    Checkpoint undo = require(appId, s.redo.peek());
    Checkpoint afterChange = require(appId, undo.parentId().orElseThrow());
    String what = undo.label().startsWith("Undo: ") ? undo.label().substring("Undo: ".length()) : undo.label();
    Recorded recorded = moveTo(appId, sandbox, head, afterChange.resultRevisionId(), CheckpointType.REDO,
        "Redo: " + what, undo.sourceCheckpointId().orElse(undo.id()), true, lease);
    tellModel(appId, recorded, HistoryOptions.DEFAULTS, conversations.size(appId),
        "The person redid the change \"" + what + "\". Read files again before editing them.");
    return recorded;
  }

  public Recorded restore(String appId, Sandbox sandbox, String checkpointId, HistoryOptions options, Lease lease) {
    Checkpoint target = require(appId, checkpointId);
    captureExternalEdits(appId, sandbox, "before restore", lease);
    Checkpoint head = store.head(appId).orElseThrow();
    if (head.resultRevisionId().equals(target.resultRevisionId())
        || store.diff(head.resultRevisionId(), target.resultRevisionId()).isEmpty()) {
      throw new NothingToDoException("the app's files already equal checkpoint " + checkpointId);
    }
    Recorded recorded = moveTo(appId, sandbox, head, target.resultRevisionId(), CheckpointType.RESTORE,
        "Restore: " + describe(target), target.id(), false, lease);
    tellModel(appId, recorded, options, target.conversationLength(),
        "The person restored the files to checkpoint " + target.id() + " (\"" + describe(target)
            + "\"); later changes are no longer in the files. Read files again before editing them.");
    return recorded;
  }

  public Recorded revertFile(String appId, Sandbox sandbox, String checkpointId, String rawPath, Lease lease) {
    String path = SandboxPaths.normalize(rawPath);
    Checkpoint source = require(appId, checkpointId);
    captureExternalEdits(appId, sandbox, "before reverting " + path, lease);
    Checkpoint head = store.head(appId).orElseThrow();
    Optional<FileRef> wanted = Optional.ofNullable(store.lookup(source.resultRevisionId(), List.of(path)).get(path));
    Optional<FileRef> current = Optional.ofNullable(store.lookup(head.resultRevisionId(), List.of(path)).get(path));
    if (wanted.isEmpty() && current.isEmpty()) {
      throw new NotFoundException("file " + path + " exists neither in checkpoint " + checkpointId + " nor now");
    }
    if (wanted.isPresent() && current.isPresent() && wanted.get().blobId().equals(current.get().blobId())) {
      throw new NothingToDoException("file " + path + " already has its content from checkpoint " + checkpointId);
    }
    SortedMap<String, Optional<byte[]>> changes = new TreeMap<>();
    changes.put(path, wanted.map(r -> store.readBlob(r.blobId())));
    SortedMap<String, Optional<byte[]>> before = new TreeMap<>();
    before.put(path, current.map(r -> store.readBlob(r.blobId())));
    guardUncaptured(appId, sandbox, changes.keySet());
    List<FileChange> fileChanges = Changes.between(before, changes);
    recordIntent(lease, CheckpointType.REVERT_FILE, head);
    Checkpoint checkpoint = append(lease, new CheckpointDraft(appId, Optional.of(head.id()), Optional.of(head.resultRevisionId()),
        changes, CheckpointType.REVERT_FILE, "Revert " + path + " to: " + describe(source), Map.of(), Optional.empty(),
        Optional.empty(), Optional.of(source.id()), conversations.size(appId), ChangeStats.of(fileChanges), now()));
    syncedHeads.put(appId, checkpoint.id());
    sandbox.apply(changes);
    conversations.append(appId, checkpoint.id(), List.of(new ChatMessage.Note("The person reverted " + path + " to its content in checkpoint "
        + source.id() + (wanted.isEmpty() ? " (where it did not exist, so it was deleted)" : "") + ".")));
    return new Recorded(checkpoint, fileChanges);
  }

  public CheckpointDiff diff(String appId, String fromId, String toId) {
    Checkpoint from = require(appId, fromId);
    Checkpoint to = require(appId, toId);
    SortedMap<String, Optional<FileRef>> paths = store.diff(from.resultRevisionId(), to.resultRevisionId());
    SortedMap<String, FileRef> old = store.lookup(from.resultRevisionId(), paths.keySet());
    SortedMap<String, Optional<byte[]>> before = contents(refsOf(old, paths.keySet()));
    SortedMap<String, Optional<byte[]>> after = contents(paths);
    List<CheckpointDiff.FileDiff> files = new ArrayList<>();
    for (FileChange change : Changes.between(before, after)) {
      Optional<String> unified = Optional.empty();
      if (!change.binary() && change.bytesBefore() <= MAX_DIFF_BYTES && change.bytesAfter() <= MAX_DIFF_BYTES) {
        String beforePath = change.previousPath().orElse(change.path());
        Optional<byte[]> a = before.getOrDefault(beforePath, Optional.empty());
        Optional<byte[]> b = after.getOrDefault(change.path(), Optional.empty());
        String text = LineDiff.unified("a/" + beforePath, "b/" + change.path(),
            a.isPresent() ? FileContent.decodeText(a.get()) : "", b.isPresent() ? FileContent.decodeText(b.get()) : "", 3);
        unified = text.isEmpty() ? Optional.empty() : Optional.of(text);
      }
      files.add(new CheckpointDiff.FileDiff(change, unified));
    }
    return new CheckpointDiff(from, to, files);
  }

  /** Whether undo and redo have something to do at the current head. */
  public boolean[] canUndoRedo(String appId) {
    Optional<Checkpoint> head = store.head(appId);
    if (head.isEmpty()) {
      return new boolean[] {false, false};
    }
    Stacks s = stacksAt(appId, head.get());
    return new boolean[] {!s.undo.isEmpty(), !s.redo.isEmpty()};
  }

  public Checkpoint require(String appId, String checkpointId) {
    Objects.requireNonNull(checkpointId, "checkpointId == null");
    return store.find(appId, checkpointId)
        .orElseThrow(() -> new NotFoundException("checkpoint " + checkpointId + " not found in app " + appId));
  }

  private Recorded moveTo(String appId, Sandbox sandbox, Checkpoint head, String targetRevisionId, CheckpointType type,
      String label, String sourceId, boolean allowEmpty, Lease lease) {
    SortedMap<String, Optional<FileRef>> diff = store.diff(head.resultRevisionId(), targetRevisionId);
    if (diff.isEmpty() && !allowEmpty) {
      throw new NothingToDoException("nothing differs from the current files");
    }
    SortedMap<String, FileRef> old = store.lookup(head.resultRevisionId(), diff.keySet());
    SortedMap<String, Optional<byte[]>> changes = contents(diff);
    SortedMap<String, Optional<byte[]>> before = contents(refsOf(old, diff.keySet()));
    guardUncaptured(appId, sandbox, changes.keySet());
    List<FileChange> fileChanges = Changes.between(before, changes);
    recordIntent(lease, type, head);
    Checkpoint checkpoint = append(lease, new CheckpointDraft(appId, Optional.of(head.id()), Optional.of(head.resultRevisionId()),
        changes, type, label, Map.of(), Optional.empty(), Optional.empty(), Optional.of(sourceId),
        conversations.size(appId), ChangeStats.of(fileChanges), now()));
    // The store is the truth: apply only after the append won, so a conflict changes nothing here.
    // If applying fails half-way, the written paths stay marked as changed and the next capture
    // records what the workspace really holds.
    syncedHeads.put(appId, checkpoint.id());
    sandbox.apply(changes);
    return new Recorded(checkpoint, fileChanges);
  }

  /**
   * Records, before the checkpoint is appended and the files change, that the workspace is about to
   * move from {@code head}: if this host dies half-way, the next holder of the lease finds the
   * intent and finishes the move ({@link #finishInterrupted}) instead of taking the half-applied tree
   * for edits made outside the agent.
   */
  private void recordIntent(Lease lease, CheckpointType type, Checkpoint head) {
    leases.recordIntent(lease, Intents.history(type, head.id()));
  }

  /** What became of a history operation whose host died, as found by the next holder. */
  public enum Interrupted {
    /** It died before its checkpoint was appended: the files were never touched. */
    ROLLED_BACK,
    /** Its checkpoint was appended: the files it had not yet written were written now. */
    COMPLETED,
    /** The history moved on since (nothing to do). */
    SUPERSEDED
  }

  /**
   * Finishes a history operation (undo, redo, restore, revert-file, resync) whose host died: files
   * change only after the operation's checkpoint is appended, so if the head is still
   * {@code fromHeadId} nothing was written; if the head is the operation's checkpoint on top of it,
   * every path the checkpoint changes is set to its content there, unless the file holds neither
   * the old nor the new content (then it was edited since, and the next capture records it).
   */
  public Interrupted finishInterrupted(String appId, Sandbox sandbox, String fromHeadId) {
    Optional<Checkpoint> found = store.head(appId);
    if (found.isEmpty() || found.get().id().equals(fromHeadId)) {
      return Interrupted.ROLLED_BACK;
    }
    Checkpoint head = found.get();
    if (!head.parentId().equals(Optional.of(fromHeadId)) || !head.type().isHistoryMove()) {
      return Interrupted.SUPERSEDED;
    }
    Checkpoint from = require(appId, fromHeadId);
    SortedMap<String, Optional<FileRef>> diff = store.diff(from.resultRevisionId(), head.resultRevisionId());
    SortedMap<String, FileRef> old = store.lookup(from.resultRevisionId(), diff.keySet());
    SortedMap<String, Optional<FileRef>> toWrite = new TreeMap<>();
    diff.forEach((path, ref) -> {
      Optional<byte[]> current = readForCheckpoint(sandbox, path);
      Optional<String> currentId = current.map(store::blobIdOf);
      Optional<String> oldId = Optional.ofNullable(old.get(path)).map(FileRef::blobId);
      Optional<String> newId = ref.map(FileRef::blobId);
      if (currentId.equals(newId)) {
        return; // already written before the host died
      }
      if (currentId.equals(oldId)) {
        toWrite.put(path, ref);
      } else {
        LOG.warn("app {}: {} changed since the interrupted {} began; leaving it for the next capture", appId, path,
            head.type().wireName());
      }
    });
    SortedMap<String, Optional<byte[]>> changes = contents(toWrite);
    guardUncaptured(appId, sandbox, changes.keySet());
    // Not acknowledged: the next capture compares every tracked path with the head and skips equal ones.
    sandbox.apply(changes);
    syncedHeads.put(appId, head.id());
    stacks.remove(appId);
    return Interrupted.COMPLETED;
  }

  private void tellModel(String appId, Recorded recorded, HistoryOptions options, int rewindTo, String note) {
    if (options.rewindConversation() && rewindTo < conversations.size(appId)) {
      conversations.truncate(appId, rewindTo);
    }
    // The note is the operation's own turn, named by its checkpoint.
    conversations.append(appId, recorded.checkpoint().id(), List.of(new ChatMessage.Note(note)));
  }

  private static String describe(Checkpoint c) {
    return c.label().isBlank() ? c.type().wireName() + " " + c.id() : c.label();
  }

  private static Optional<byte[]> readForCheckpoint(Sandbox sandbox, String path) {
    try {
      return sandbox.tryRead(path).map(FileContent::bytes);
    } catch (io.chatbuilder.core.PathRefusedException e) {
      // e.g. a command replaced the file with a symlink leading outside: there is no content to keep.
      LOG.warn("not checkpointing {}: {}", path, e.getMessage());
      return Optional.empty();
    }
  }

  private void forgetUncaptured(String appId, String path) {
    java.util.Set<String> set = uncaptured.get(appId);
    if (set != null) {
      set.remove(path);
    }
  }

  private java.util.Set<String> uncapturedSet(String appId) {
    return uncaptured.getOrDefault(appId, java.util.Set.of());
  }

  /** Refuses to overwrite a file that is too large to checkpoint, since no copy of it exists. */
  private void guardUncaptured(String appId, Sandbox sandbox, java.util.Collection<String> paths) {
    for (String path : paths) {
      if (uncapturedSet(appId).contains(path)) {
        try {
          sandbox.tryRead(path);
          forgetUncaptured(appId, path);
        } catch (TooLargeException e) {
          throw new TooLargeException("cannot overwrite " + path + ": it is too large to checkpoint, so it would be lost; "
              + "move it out of the app or shrink it first (" + e.getMessage() + ")");
        }
      }
    }
  }

  /**
   * Every checkpoint is appended under the caller's lease, so a holder that lost it cannot append.
   * A store that keeps the leases itself checks the token atomically with the append; with a
   * separate lease store the check comes just before (the best a foreign store allows).
   */
  private Checkpoint append(Lease lease, CheckpointDraft draft) {
    Objects.requireNonNull(lease, "lease == null");
    if (leases == store) {
      return store.append(draft, lease);
    }
    Optional<Lease> live = leases.current(lease.appId());
    if (live.isEmpty() || live.get().token() != lease.token()) {
      throw new LeaseLostException("the lease of " + lease.holder() + " on app " + lease.appId() + " (token "
          + lease.token() + ") is lost: " + live.map(l -> "taken over by " + l.holder() + " (token " + l.token() + ")")
              .orElse("it expired or was released") + "; nothing was written");
    }
    // The store does not know this lease store's tokens: a fenced append there would refuse them.
    return store.append(draft);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  // ------------------------------------------------------------------ undo/redo stacks

  private record Stacks(String headId, Deque<String> undo, Deque<String> redo) {}

  private Stacks stacksAt(String appId, Checkpoint head) {
    Stacks cached = stacks.get(appId);
    if (cached != null && cached.headId.equals(head.id())) {
      return cached;
    }
    List<Checkpoint> newer = new ArrayList<>();
    boolean reachedCache = false;
    Optional<String> before = Optional.empty();
    outer:
    while (true) {
      List<Checkpoint> page = store.list(appId, 200, before);
      if (page.isEmpty()) {
        break;
      }
      for (Checkpoint c : page) {
        if (cached != null && c.id().equals(cached.headId)) {
          reachedCache = true;
          break outer;
        }
        newer.add(c);
      }
      before = Optional.of(page.get(page.size() - 1).id());
    }
    Collections.reverse(newer);
    Deque<String> undo = reachedCache ? new ArrayDeque<>(cached.undo) : new ArrayDeque<>();
    Deque<String> redo = reachedCache ? new ArrayDeque<>(cached.redo) : new ArrayDeque<>();
    for (Checkpoint c : newer) {
      switch (c.type()) {
        case INITIAL, FORK -> { } // an app's first files: nothing before them to undo to
        case UNDO -> {
          if (!undo.isEmpty()) {
            undo.pop();
          }
          redo.push(c.id());
        }
        case REDO -> {
          if (!redo.isEmpty()) {
            redo.pop();
          }
          undo.push(c.id());
        }
        default -> {
          undo.push(c.id());
          redo.clear();
        }
      }
    }
    Stacks computed = new Stacks(head.id(), undo, redo);
    stacks.put(appId, computed);
    return computed;
  }
}
