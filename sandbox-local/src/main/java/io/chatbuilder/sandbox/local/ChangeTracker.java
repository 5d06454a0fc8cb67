package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.Exclusions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * Knows which paths may have changed since the last acknowledged scan.
 *
 * <p>Writes through the sandbox are recorded directly ({@link #recordWrite}, {@link #recordDelete}):
 * O(1) each. A rescan compares an {@code lstat} of every file with a stat cache (size, mtime, ctime,
 * device, inode), like git's index, so it finds what a command or a person did without reading
 * files. The traps it handles:
 * <ul>
 *   <li>An edit that keeps size and mtime ({@code touch -d}) still changes ctime.
 *   <li>"Racy" entries: a file whose mtime or ctime lies within {@link #RACY_WINDOW} of the scan
 *       may be edited again within the same timestamp tick without any stat change, so its content
 *       hash is kept and compared at the next scan.
 *   <li>A file replaced by a directory or a symlink is no longer a regular file: reported deleted
 *       (and the files under a new directory as added).
 *   <li>Delete-then-recreate gets a new inode or ctime.
 * </ul>
 * The first scan after opening reports every file: what was acknowledged before is unknown.
 *
 * <p>With {@link ChangeDetection#WATCH} a {@link TreeWatcher} names the paths that may have changed
 * and only those are re-stat'ed (a file, or the whole subtree of a new or moved directory; a racy
 * one named by an event is compared by content); overflow, a late cookie, changed exclusions or an exhausted watch limit rescan
 * everything with the same comparison.
 *
 * <p>Not thread-safe; {@link LocalSandbox} serializes calls.
 */
final class ChangeTracker {
  /**
   * Covers coarse file-system clocks (1-2 s on FAT and some network file systems; a scheduler tick
   * elsewhere) and small skews between the kernel's file timestamps and the JVM's clock.
   */
  static final Duration RACY_WINDOW = Duration.ofSeconds(2);

  private final ConfinedFiles files;
  private Exclusions exclusions;
  private final ChangeDetection detection;
  private final LongSupplier clockNanos;
  private final UnaryOperator<FileStat> statView;
  /** Sorted, so the files under a directory that went away are one sub-map. */
  private final TreeMap<String, Entry> cache = new TreeMap<>();
  /** Empty unless {@link ChangeDetection#WATCH} and the platform watches. */
  private final Optional<TreeWatcher> watcher;
  private boolean exclusionsChanged;
  /** Path to the generation of the scan that will report it. */
  private final Map<String, Long> dirty = new HashMap<>();
  private long generation;
  private boolean rescanNeeded;
  private int commandsRunning;
  private long contentReads;
  private long fullRescans;

  /** A cached stat; {@code hash} is kept only while the entry is racy. */
  private record Entry(FileStat stat, byte[] hash) {}

  /**
   * @param statView what the cache sees of a stat; identity in production, tests use it to model
   *     file systems with coarse or missing timestamps
   */
  ChangeTracker(ConfinedFiles files, Exclusions exclusions, ChangeDetection detection, LongSupplier clockNanos,
      UnaryOperator<FileStat> statView) {
    this(files, exclusions, detection, clockNanos, statView, Optional.empty());
  }

  /** @param watcher the started watcher for {@link ChangeDetection#WATCH}; empty: full stat scans */
  ChangeTracker(ConfinedFiles files, Exclusions exclusions, ChangeDetection detection, LongSupplier clockNanos,
      UnaryOperator<FileStat> statView, Optional<TreeWatcher> watcher) {
    this.files = files;
    this.exclusions = exclusions;
    this.detection = detection;
    this.clockNanos = clockNanos;
    this.statView = statView;
    this.watcher = watcher;
    long scanStart = clockNanos.getAsLong();
    // Watches are registered during this walk, each directory before it is listed.
    for (Map.Entry<String, FileStat> e : statAll().entrySet()) {
      put(e.getKey(), entryFor(e.getKey(), e.getValue(), scanStart, null));
      markDirty(e.getKey());
    }
  }

  private void put(String path, Entry entry) {
    cache.put(path, entry);
  }

  private Entry remove(String path) {
    return cache.remove(path);
  }

  /** Whether scans use the watcher now (WATCH mode, started, not exhausted). */
  boolean watching() {
    return watcher.isPresent() && !watcher.get().broken();
  }

  /** Directories watched now; for tests. */
  java.util.Set<String> watchedPaths() {
    return watcher.map(TreeWatcher::watchedPaths).orElse(java.util.Set.of());
  }

  void close() {
    watcher.ifPresent(TreeWatcher::close);
  }

  /** A write through the sandbox: the new stat and the hash of the bytes written (free to compute). */
  void recordWrite(String path, byte[] content) {
    Optional<FileStat> stat = files.stat(path).map(statView);
    if (stat.isPresent()) {
      put(path, entryFor(path, stat.get(), clockNanos.getAsLong(), ConfinedFiles.sha256(content)));
    } else {
      remove(path);
    }
    markDirty(path);
  }

  /** A regular file that moved inside the sandbox: same bytes, new path. */
  void recordMove(String from, String to) {
    Entry old = remove(from);
    markDirty(from);
    Optional<FileStat> stat = files.stat(to).map(statView);
    if (stat.isPresent()) {
      // A rename keeps the content, so a kept hash stays valid; ctime changed, so it is racy now.
      put(to, entryFor(to, stat.get(), clockNanos.getAsLong(), old == null ? null : old.hash));
    }
    markDirty(to);
  }

  void recordDelete(String path) {
    remove(path);
    markDirty(path);
  }

  /**
   * The exclusions changed (the app's .gitignore was edited): every known path is reported at the
   * next scan (one now ignored is gone for the checkpoint, one no longer ignored appears).
   */
  void exclusions(Exclusions exclusions) {
    this.exclusions = exclusions;
    for (String path : cache.keySet()) {
      dirty.put(path, generation + 1);
    }
    rescanNeeded = true;
    exclusionsChanged = true;
  }

  void commandStarted() {
    commandsRunning++;
    rescanNeeded = true;
  }

  void commandFinished() {
    commandsRunning--;
    rescanNeeded = true;
  }

  ChangeScan scan() {
    refresh();
    long scanGeneration = ++generation;
    return new ChangeScan(scanGeneration, new TreeSet<>(dirty.keySet()));
  }

  void acknowledge(long acknowledged) {
    dirty.values().removeIf(changedIn -> changedIn <= acknowledged);
  }

  /** Every checkpointable file with its size, after a refresh. */
  SortedMap<String, Long> files() {
    refresh();
    SortedMap<String, Long> out = new TreeMap<>();
    cache.forEach((path, entry) -> out.put(path, entry.stat.size()));
    return out;
  }

  /** Every checkpointable file with its cached stat, after a refresh (O(changes) with the watcher). */
  SortedMap<String, FileStat> stats() {
    refresh();
    SortedMap<String, FileStat> out = new TreeMap<>();
    cache.forEach((path, entry) -> out.put(path, entry.stat));
    return out;
  }

  /** Files whose content was read to compare hashes so far (racy entries only); for tests and the bench. */
  long contentReads() {
    return contentReads;
  }

  long fullRescans() {
    return fullRescans;
  }

  private void refresh() {
    if (detection == ChangeDetection.WATCH && watching()) {
      refreshWatched();
      return;
    }
    if (detection != ChangeDetection.SDK_AND_COMMANDS || rescanNeeded || commandsRunning > 0) {
      rescan();
      rescanNeeded = commandsRunning > 0;
    }
  }

  /** O(changed paths): the watcher names them; overflow or changed exclusions rescan everything. */
  private void refreshWatched() {
    TreeWatcher w = watcher.get();
    TreeWatcher.Changes changes = w.drain();
    if (changes.overflow() || exclusionsChanged || w.broken()) {
      exclusionsChanged = false;
      rescan();
      return;
    }
    long scanStart = clockNanos.getAsLong();
    java.util.Set<String> refreshed = new java.util.HashSet<>();
    for (String path : new TreeSet<>(changes.paths())) {
      refreshPath(path, scanStart, refreshed);
    }
    if (w.broken()) {
      rescan(); // a new directory could not be watched: from now on every scan is a full one
      return;
    }
    // Racy entries need no sweep here: a rewrite within the same timestamp tick still raises an
    // inotify event, whose path is compared by content above; a lost event is an overflow (rescan).
  }

  private void refreshPath(String path, long scanStart, java.util.Set<String> refreshed) {
    if (exclusions.isExcluded(path)) {
      return;
    }
    TreeWatcher w = watcher.get();
    boolean[] directoryHere = {false};
    SortedMap<String, FileStat> now = files.statSubtree(path, (p, key) -> {
      directoryHere[0] |= p.equals(path);
      w.watch(p, key);
    });
    now.replaceAll((p, stat) -> statView.apply(stat));
    // Cached files here or below that are no longer there.
    List<String> gone = new ArrayList<>();
    if (cache.containsKey(path) && !now.containsKey(path)) {
      gone.add(path);
    }
    for (String p : cache.subMap(path + "/", path + "0").keySet()) {
      if (!now.containsKey(p)) {
        gone.add(p);
      }
    }
    for (String p : gone) {
      remove(p);
      markDirty(p);
      refreshed.add(p);
    }
    if (!directoryHere[0]) {
      w.unwatch(path); // a file, a symlink or nothing: no directory to watch there any more
    }
    for (Map.Entry<String, FileStat> e : now.entrySet()) {
      refreshed.add(e.getKey());
      compare(e.getKey(), Optional.of(e.getValue()), scanStart);
    }
  }

  /** One file against its cache entry: the same rules as a full rescan. */
  private void compare(String path, Optional<FileStat> current, long scanStart) {
    Entry old = cache.get(path);
    if (current.isEmpty()) {
      if (old != null) {
        remove(path);
        markDirty(path);
      }
      return;
    }
    FileStat stat = current.get();
    if (old == null || !old.stat.sameAs(stat)) {
      put(path, entryFor(path, stat, scanStart, null));
      markDirty(path);
    } else if (old.hash != null) {
      byte[] hash = hashOf(path);
      if (!Arrays.equals(hash, old.hash)) {
        markDirty(path);
      }
      put(path, entryFor(path, stat, scanStart, hash));
    }
  }

  private void rescan() {
    fullRescans++;
    // Taken before the walk: a file touched during the walk is then racy for sure.
    long scanStart = clockNanos.getAsLong();
    SortedMap<String, FileStat> now = statAll();
    for (Iterator<Map.Entry<String, Entry>> it = cache.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Entry> cached = it.next();
      if (!now.containsKey(cached.getKey())) {
        it.remove();
        markDirty(cached.getKey());
      }
    }
    for (Map.Entry<String, FileStat> e : now.entrySet()) {
      compare(e.getKey(), Optional.of(e.getValue()), scanStart);
    }
  }

  private SortedMap<String, FileStat> statAll() {
    SortedMap<String, FileStat> all;
    if (detection == ChangeDetection.WATCH && watching()) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      TreeWatcher w = watcher.get();
      all = files.statAll((path, key) -> {
        seen.add(path);
        w.watch(path, key);
      });
      w.retainOnly(seen); // excluded since, or gone
    } else {
      all = files.statAll();
    }
    all.replaceAll((path, stat) -> statView.apply(stat));
    return all;
  }

  private Entry entryFor(String path, FileStat stat, long scanStart, byte[] knownHash) {
    long racyFrom = scanStart - RACY_WINDOW.toNanos();
    boolean racy = stat.mtimeNanos() >= racyFrom || stat.ctimeNanos() >= racyFrom;
    if (!racy) {
      return new Entry(stat, null);
    }
    return new Entry(stat, knownHash != null ? knownHash : hashOf(path));
  }

  private byte[] hashOf(String path) {
    contentReads++;
    // A file that vanished or was swapped between stat and read hashes as empty (no SHA-256 is
    // empty), so it is reported; the next scan sees what it became.
    try {
      return files.hash(path).orElse(new byte[0]);
    } catch (ChatBuilderException e) {
      return new byte[0];
    }
  }

  private void markDirty(String path) {
    if (!exclusions.isExcluded(path)) {
      // Counted toward the next scan, so a change outlives acknowledgement of an earlier scan.
      dirty.put(path, generation + 1);
    }
  }
}
