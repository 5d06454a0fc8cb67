package io.chatbuilder.sandbox.local;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directory watches over the sandbox root (Java's {@link WatchService}: one inotify instance on
 * Linux), the same idea as git's fsmonitor: events are only <em>hints</em> naming paths that may
 * have changed; what changed is always found by the confined walk of {@link ConfinedFiles}, so an
 * event never makes the sandbox read anything, and a missing or late event is what the safety
 * rules below are for.
 * <ul>
 *   <li><b>Ordering (cookies).</b> The JDK reads inotify events on its own thread, so an event may
 *       not yet be on its key when a scan starts. Each {@link #drain} creates a uniquely named cookie
 *       file in a watched directory outside the root and waits for its own create event: inotify
 *       delivers one instance's events in order, so every change made before the scan started has
 *       been queued by then (git's fsmonitor daemon does the same). No cookie within
 *       {@link #COOKIE_WAIT}: the drain reports overflow (a full rescan).
 *   <li><b>Overflow</b> (the kernel's queue, {@code max_queued_events}, or the JDK's 512 events per
 *       key): reported, and the caller rescans everything.
 *   <li><b>Registration.</b> Directories are registered by path (Java has no {@code inotify_add_watch}
 *       on a handle, and the kernel follows symlinks there). After each registration the path is
 *       checked to be the directory the walk saw (same device and inode, no symlink in any
 *       component: {@code toRealPath} equals the path); otherwise the watch is cancelled at once.
 *       A swap and a swap back exactly around the registration could leave a watch on an outside
 *       directory: its events would only make the sandbox re-stat its own paths.
 *   <li><b>Limits.</b> When {@code max_user_watches} (or the test limit) is exhausted the watcher is
 *       {@linkplain #broken() broken}: logged once, and the tracker falls back to a full stat scan
 *       on every scan.
 * </ul>
 * Not thread-safe: used under {@link LocalSandbox}'s lock (the JDK's poller thread only fills keys).
 */
final class TreeWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TreeWatcher.class);
  static final Duration COOKIE_WAIT = Duration.ofSeconds(5);
  private static final String COOKIE_PREFIX = "cookie-";

  private final String sandboxId;
  private final Path root;
  private final Path cookieDirectory;
  private final WatchService service;
  private final WatchKey cookieKey;
  private final int watchLimit;
  private final Map<WatchKey, String> keyToPath = new HashMap<>();
  private final Map<String, WatchKey> pathToKey = new HashMap<>();
  private long cookieCounter;
  private boolean broken;

  /** What changed since the last drain: paths that may have changed, or overflow (rescan all). */
  record Changes(boolean overflow, Set<String> paths) {}

  private TreeWatcher(String sandboxId, Path root, Path cookieDirectory, WatchService service, WatchKey cookieKey,
      int watchLimit) {
    this.sandboxId = sandboxId;
    this.root = root;
    this.cookieDirectory = cookieDirectory;
    this.service = service;
    this.cookieKey = cookieKey;
    this.watchLimit = watchLimit;
  }

  /**
   * Starts a watch service with its cookie directory (outside the root); empty, logged once at
   * WARN, when the platform cannot watch (the tracker then stats the whole tree on every scan).
   *
   * @param watchLimit the most directory watches (besides the cookie's) before the watcher counts
   *     as exhausted, like the kernel's {@code max_user_watches}; tests make it small
   */
  static Optional<TreeWatcher> start(String sandboxId, Path root, Path cookieDirectory, int watchLimit) {
    WatchService service = null;
    try {
      Files.createDirectories(cookieDirectory);
      service = FileSystems.getDefault().newWatchService();
      if (!service.getClass().getName().contains("Linux")) {
        // The JDK's polling fallback (other systems) samples every few seconds: no better than a stat scan.
        throw new IOException("no native file watching on this platform (" + service.getClass().getSimpleName() + ")");
      }
      WatchKey cookieKey = cookieDirectory.register(service, ENTRY_CREATE);
      return Optional.of(new TreeWatcher(sandboxId, root, cookieDirectory, service, cookieKey, watchLimit));
    } catch (IOException | RuntimeException e) {
      if (service != null) {
        try {
          service.close();
        } catch (IOException ignored) {
          // nothing was watched yet
        }
      }
      log.warn("sandbox {}: cannot watch its files ({}); every scan stats the whole tree instead", sandboxId, e.toString());
      return Optional.empty();
    }
  }

  boolean broken() {
    return broken;
  }

  /** How many directories are watched (without the cookie directory); for tests. */
  int watchedDirectories() {
    return pathToKey.size();
  }

  /** The watched directory paths, relative to the root ({@code ""} = the root); for tests. */
  Set<String> watchedPaths() {
    return Set.copyOf(pathToKey.keySet());
  }

  /**
   * Watches directory {@code path} ({@code ""} = the root) that a confined walk just saw with
   * {@code fileKey}; called before the walk lists it, so nothing created afterwards is missed.
   */
  void watch(String path, Object fileKey) {
    if (broken) {
      return;
    }
    WatchKey existing = pathToKey.get(path);
    if (existing != null && existing.isValid()) {
      return;
    }
    if (pathToKey.size() >= watchLimit) {
      exhausted("the limit of " + watchLimit + " directory watches");
      return;
    }
    Path dir = path.isEmpty() ? root : root.resolve(path);
    WatchKey key;
    try {
      key = dir.register(service, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
    } catch (IOException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("limit") || message.contains("No space")) {
        exhausted(message);
      }
      return; // gone or swapped since the walk's stat: the parent's event covers it
    }
    if (!sameDirectory(dir, fileKey)) {
      // Swapped between the walk's stat and the registration: never keep a watch that may be outside.
      if (!keyToPath.containsKey(key)) {
        key.cancel();
      }
      return;
    }
    String previous = keyToPath.put(key, path);
    if (previous != null && !previous.equals(path)) {
      pathToKey.remove(previous, key); // the same directory moved: one inotify watch, new path
    }
    pathToKey.put(path, key);
  }

  private static boolean sameDirectory(Path dir, Object fileKey) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW_LINKS);
      return attrs.isDirectory() && fileKey != null && fileKey.equals(attrs.fileKey()) && dir.toRealPath().equals(dir);
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops watching {@code path} and every directory under it (gone, replaced or now excluded). */
  void unwatch(String path) {
    List<String> gone = new ArrayList<>();
    String prefix = path.isEmpty() ? "" : path + "/";
    for (String p : pathToKey.keySet()) {
      if (p.equals(path) || p.startsWith(prefix)) {
        gone.add(p);
      }
    }
    for (String p : gone) {
      WatchKey key = pathToKey.remove(p);
      if (key != null && p.equals(keyToPath.get(key))) {
        keyToPath.remove(key);
        key.cancel();
      }
    }
  }

  /** Keeps only the watches of {@code seen} (after a full rescan). */
  void retainOnly(Set<String> seen) {
    for (String p : new ArrayList<>(pathToKey.keySet())) {
      if (!seen.contains(p)) {
        WatchKey key = pathToKey.remove(p);
        if (key != null && p.equals(keyToPath.get(key))) {
          keyToPath.remove(key);
          key.cancel();
        }
      }
    }
  }

  /**
   * Everything the kernel reported since the last drain, up to a cookie made now (see the class
   * comment). Overflow, a late cookie or a failure to make one all report overflow.
   */
  Changes drain() {
    Set<String> paths = new HashSet<>();
    boolean[] overflow = {false};
    String cookie = COOKIE_PREFIX + (++cookieCounter);
    Path cookieFile = cookieDirectory.resolve(cookie);
    try {
      Files.createFile(cookieFile);
    } catch (IOException e) {
      log.warn("sandbox {}: cannot make a watch cookie ({}); rescanning everything", sandboxId, e.toString());
      drainReady(paths, overflow, null);
      return new Changes(true, paths);
    }
    try {
      long deadline = System.nanoTime() + COOKIE_WAIT.toNanos();
      boolean seen = false;
      while (!seen) {
        long left = deadline - System.nanoTime();
        WatchKey key = left <= 0 ? null : service.poll(left, TimeUnit.NANOSECONDS);
        if (key == null) {
          log.warn("sandbox {}: no watch cookie within {} ms; rescanning everything", sandboxId, COOKIE_WAIT.toMillis());
          overflow[0] = true;
          break;
        }
        seen = process(key, paths, overflow, cookie);
      }
      drainReady(paths, overflow, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      overflow[0] = true;
    } finally {
      try {
        Files.deleteIfExists(cookieFile);
      } catch (IOException ignored) {
        // a leftover cookie in the private directory is harmless; it goes with the directory
      }
    }
    return new Changes(overflow[0], paths);
  }

  private void drainReady(Set<String> paths, boolean[] overflow, String cookie) {
    WatchKey key;
    while ((key = service.poll()) != null) {
      process(key, paths, overflow, cookie);
    }
  }

  /** @return whether this key carried the awaited cookie */
  private boolean process(WatchKey key, Set<String> paths, boolean[] overflow, String cookie) {
    boolean cookieSeen = false;
    String dir = keyToPath.get(key);
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == OVERFLOW) {
        overflow[0] = true;
        continue;
      }
      String name = event.context().toString();
      if (key == cookieKey) {
        cookieSeen |= name.equals(cookie);
      } else if (dir != null) {
        paths.add(dir.isEmpty() ? name : dir + "/" + name);
      }
    }
    if (!key.reset() && key != cookieKey && dir != null) {
      // The directory itself is gone (deleted, or its file system unmounted): re-stat it.
      keyToPath.remove(key);
      pathToKey.remove(dir, key);
      paths.add(dir);
    }
    return cookieSeen;
  }

  private void exhausted(String why) {
    if (!broken) {
      broken = true;
      log.warn("sandbox {}: cannot watch every directory ({}); every scan stats the whole tree instead", sandboxId, why);
    }
  }

  @Override
  public void close() {
    broken = true; // quietly: scans after close (if any) stat the tree
    try {
      service.close();
    } catch (IOException e) {
      log.debug("sandbox {}: closing the watch service: {}", sandboxId, e.toString());
    }
  }
}
