package io.chatbuilder.sandbox.local;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Holds a sandbox's writable host directories (the app, with {@code node_modules}, and its private
 * home) to {@code maxBytes} while commands or services run: samples their total size and, once it
 * is over, calls every registered process's kill action. No kernel quota exists for a plain
 * directory, so this samples: a writer can overshoot by what it writes between two samples (at
 * most one largest-file limit per process between samples), never without bound.
 */
final class DiskWatchdog {
  private static final long MIN_INTERVAL_MS = 250;
  private static final long MAX_INTERVAL_MS = 3000;

  private final List<Path> directories;
  private final long maxBytes;
  private final String name;
  private final Set<Runnable> watchers = new LinkedHashSet<>();
  private Thread thread;

  DiskWatchdog(List<Path> directories, long maxBytes, String name) {
    this.directories = List.copyOf(directories);
    this.maxBytes = maxBytes;
    this.name = name;
  }

  long maxBytes() {
    return maxBytes;
  }

  /** Watches until the returned handle is closed; {@code overLimit} runs at most once. */
  AutoCloseable watch(Runnable overLimit) {
    Runnable once = new Runnable() {
      private boolean ran;

      @Override
      public synchronized void run() {
        if (!ran) {
          ran = true;
          overLimit.run();
        }
      }
    };
    synchronized (this) {
      watchers.add(once);
      if (thread == null) {
        thread = new Thread(this::loop, "chatbuilder-disk-" + name);
        thread.setDaemon(true);
        thread.start();
      }
      notifyAll();
    }
    return () -> {
      synchronized (this) {
        watchers.remove(once);
        notifyAll();
      }
    };
  }

  private void loop() {
    while (true) {
      synchronized (this) {
        if (watchers.isEmpty()) {
          thread = null;
          return;
        }
      }
      long started = System.nanoTime();
      long size = size();
      long took = (System.nanoTime() - started) / 1_000_000;
      if (size > maxBytes) {
        List<Runnable> toKill;
        synchronized (this) {
          toKill = new ArrayList<>(watchers);
          watchers.clear();
        }
        toKill.forEach(Runnable::run);
      }
      // Sampling costs a walk of the tree: keep it under a fifth of the time.
      long interval = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, took * 5));
      synchronized (this) {
        if (watchers.isEmpty()) {
          thread = null;
          return;
        }
        try {
          wait(interval);
        } catch (InterruptedException e) {
          thread = null;
          return;
        }
      }
    }
  }

  /** Bytes in regular files under the directories (links not followed). */
  long size() {
    long[] total = {0};
    for (Path dir : directories) {
      try {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
              total[0] += attrs.size();
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE; // deleted while we walked
          }
        });
      } catch (IOException e) {
        // The directory is gone: nothing to count.
      }
    }
    return total[0];
  }
}
