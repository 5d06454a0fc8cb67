package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one command through the sandbox's {@link ProcessLauncher} (isolation, limits, environment
 * scrub), streams output to the listener while capping what is kept, kills the whole process tree
 * on timeout or cancel, and reports which resource limit stopped it.
 */
final class CommandRunner {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CommandRunner.class);
  private final ProcessLauncher launcher;
  private final CommandPolicy policy;
  private final Set<ProcessLauncher.Launched> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

  CommandRunner(ProcessLauncher launcher) {
    this.launcher = launcher;
    this.policy = launcher.policy();
  }

  boolean isolated() {
    return launcher.isolated();
  }

  CommandResult run(CommandRequest request, String program, Path workingDirectory, CommandListener listener,
      Cancellation cancellation) {
    long started = System.nanoTime();
    if (cancellation.isCancelled()) {
      return new CommandResult(-1, "", "", false, true, false, isolated(), Duration.ZERO);
    }
    Map<String, String> env = launcher.commandEnvironment(request);
    Path executable = launcher.resolve(request.argv().get(0), program, env.get("PATH"));
    List<String> args = request.argv().subList(1, request.argv().size());
    ProcessLauncher.Launched launched = launcher.start(ProcessLauncher.Kind.COMMAND, executable, args, workingDirectory, env, 0);
    Process process = launched.process();
    running.add(launched);
    Output output = new Output(policy.outputLimitBytes(), listener);
    AtomicBoolean cancelled = new AtomicBoolean();
    boolean timedOut = false;
    Thread stdout = pump(process.getInputStream(), chunk -> output.append(true, chunk), "chatbuilder-" + program + "-stdout");
    Thread stderr = pump(process.getErrorStream(), chunk -> output.append(false, chunk), "chatbuilder-" + program + "-stderr");
    try (Cancellation.Registration ignored = cancellation.onCancel(() -> {
      cancelled.set(true);
      launched.kill();
    })) {
      try {
        process.getOutputStream().close();
      } catch (IOException ignoredClose) {
        // The process may already be gone.
      }
      Duration timeout = policy.timeoutFor(request);
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        timedOut = !cancelled.get();
        launched.kill();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      launched.kill();
      Thread.currentThread().interrupt();
      cancelled.set(true);
    }
    running.remove(launched);
    // A grandchild that escaped the kill could keep the pipes open forever; do not wait for it.
    join(stdout);
    join(stderr);
    boolean killed = timedOut || cancelled.get() || launched.killedForDisk() || process.isAlive();
    int exitCode = killed ? -1 : process.exitValue();
    for (String notice : launched.limitNotices(process.isAlive() ? -1 : process.exitValue())) {
      output.notice(notice);
    }
    long cleanup = System.nanoTime();
    launched.finish();
    if (log.isDebugEnabled()) {
      log.debug("{} ran {} ms, cleanup {} ms", program, (cleanup - started) / 1_000_000, (System.nanoTime() - cleanup) / 1_000_000);
    }
    return new CommandResult(exitCode, output.stdout(), output.stderr(), timedOut, cancelled.get() && !timedOut,
        output.truncated(), isolated(), Duration.ofNanos(System.nanoTime() - started));
  }

  /** Kills every command still running (the sandbox is closing). */
  void killAll() {
    running.forEach(ProcessLauncher.Launched::kill);
  }

  /** Kills the process and every descendant; re-reads the tree a few times to catch fresh forks. */
  static void killTree(Process process) {
    Set<ProcessHandle> known = new LinkedHashSet<>();
    known.add(process.toHandle());
    for (int round = 0; round < 3; round++) {
      Set<ProcessHandle> found = new LinkedHashSet<>();
      for (ProcessHandle h : known) {
        h.descendants().forEach(found::add);
      }
      known.addAll(found);
      known.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** Decodes a stream as UTF-8 (across chunk boundaries) into {@code sink} on a daemon thread. */
  static Thread pump(InputStream in, java.util.function.Consumer<String> sink, String threadName) {
    Thread thread = new Thread(() -> {
      CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
      byte[] buffer = new byte[8192];
      ByteBuffer pending = ByteBuffer.allocate(8192 + 8);
      CharBuffer chars = CharBuffer.allocate(8192 + 8);
      try (in) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          pending.put(buffer, 0, n);
          pending.flip();
          decoder.decode(pending, chars, false);
          pending.compact();
          chars.flip();
          if (chars.hasRemaining()) {
            sink.accept(chars.toString());
          }
          chars.clear();
        }
        pending.flip();
        decoder.decode(pending, chars, true);
        decoder.flush(chars);
        chars.flip();
        if (chars.hasRemaining()) {
          sink.accept(chars.toString());
        }
      } catch (IOException e) {
        // The stream closed under us (process killed): what was read is kept.
      }
    }, threadName);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void join(Thread thread) {
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Collects both streams under one byte cap and forwards what is kept to the listener as it comes. */
  static final class Output {
    private final long limit;
    private final CommandListener listener;
    private final StringBuilder stdout = new StringBuilder();
    private final StringBuilder stderr = new StringBuilder();
    private long kept;
    private long dropped;
    private boolean stdoutDropped;
    private boolean stderrDropped;
    private boolean notified;

    Output(long limit, CommandListener listener) {
      this.limit = limit;
      this.listener = listener;
    }

    synchronized void append(boolean isStdout, String chunk) {
      long bytes = chunk.getBytes(StandardCharsets.UTF_8).length;
      String keep = chunk;
      if (kept + bytes > limit) {
        keep = prefixWithin(chunk, limit - kept);
        long keptBytes = keep.getBytes(StandardCharsets.UTF_8).length;
        dropped += bytes - keptBytes;
        bytes = keptBytes;
        if (isStdout) {
          stdoutDropped = true;
        } else {
          stderrDropped = true;
        }
      }
      kept += bytes;
      (isStdout ? stdout : stderr).append(keep);
      if (dropped > 0 && !notified) {
        notified = true;
        keep = keep + "\n[output truncated: over the " + limit + " byte limit]\n";
      }
      if (keep.isEmpty()) {
        return;
      }
      try {
        if (isStdout) {
          listener.onStdout(keep);
        } else {
          listener.onStderr(keep);
        }
      } catch (RuntimeException e) {
        // A failing listener must not stop the command or lose its output.
      }
    }

    private static String prefixWithin(String s, long maxBytes) {
      int end = 0;
      long used = 0;
      while (end < s.length()) {
        int cp = s.codePointAt(end);
        int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (used + size > maxBytes) {
          break;
        }
        used += size;
        end += Character.charCount(cp);
      }
      return s.substring(0, end);
    }

    /**
     * A line from the sandbox itself (which limit stopped the command), appended to stderr even when
     * the output cap is reached, so the reason is never cut off.
     */
    synchronized void notice(String message) {
      String line = "\n[chatbuilder] " + message + "\n";
      stderr.append(line);
      try {
        listener.onStderr(line);
      } catch (RuntimeException e) {
        // A failing listener must not lose the result.
      }
    }

    synchronized String stdout() {
      return stdoutDropped ? stdout + marker() : stdout.toString();
    }

    synchronized String stderr() {
      return stderrDropped ? stderr + marker() : stderr.toString();
    }

    synchronized boolean truncated() {
      return dropped > 0;
    }

    private String marker() {
      return "\n[output truncated: over the " + limit + " byte limit, " + dropped + " bytes dropped]\n";
    }
  }
}
