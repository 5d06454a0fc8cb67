package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.SandboxException;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one command: resolves the program itself (absolute PATH entries outside the root only, or the
 * app's own {@code node_modules/.bin}), scrubs the environment, optionally wraps it in bubblewrap,
 * streams output to the listener while capping what is kept, and kills the whole process tree on
 * timeout or cancel.
 */
final class CommandRunner {
  private static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  private final Path root;
  private final Path home;
  private final CommandPolicy policy;
  private final Map<String, String> baseEnvironment;
  private final Optional<Bubblewrap> bubblewrap;
  private final Set<Process> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

  CommandRunner(Path root, Path home, CommandPolicy policy, Map<String, String> baseEnvironment, Optional<Bubblewrap> bubblewrap) {
    this.root = root;
    this.home = home;
    this.policy = policy;
    this.baseEnvironment = Map.copyOf(baseEnvironment);
    this.bubblewrap = bubblewrap;
  }

  boolean isolated() {
    return bubblewrap.isPresent();
  }

  CommandResult run(CommandRequest request, String program, Path workingDirectory, CommandListener listener,
      Cancellation cancellation) {
    long started = System.nanoTime();
    if (cancellation.isCancelled()) {
      return new CommandResult(-1, "", "", false, true, false, isolated(), Duration.ZERO);
    }
    Map<String, String> env = environment(request);
    Path executable = resolve(request.argv().get(0), program, env.get("PATH"));
    List<String> args = request.argv().subList(1, request.argv().size());
    List<String> command;
    if (bubblewrap.isPresent()) {
      command = bubblewrap.get().command(executable, args, root, home, workingDirectory, policy.allowNetwork(),
          installPrefixes(executable, env.get("PATH")));
    } else {
      command = new ArrayList<>();
      command.add(executable.toString());
      command.addAll(args);
    }
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);

    Output output = new Output(policy.outputLimitBytes(), listener);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new SandboxException("cannot start " + program + ": " + e.getMessage(), e);
    }
    running.add(process);
    AtomicBoolean cancelled = new AtomicBoolean();
    boolean timedOut = false;
    Thread stdout = pump(process.getInputStream(), output, true, program);
    Thread stderr = pump(process.getErrorStream(), output, false, program);
    try (Cancellation.Registration ignored = cancellation.onCancel(() -> {
      cancelled.set(true);
      killTree(process);
    })) {
      try {
        process.getOutputStream().close();
      } catch (IOException ignoredClose) {
        // The process may already be gone.
      }
      Duration timeout = policy.timeoutFor(request);
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        timedOut = !cancelled.get();
        killTree(process);
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      killTree(process);
      Thread.currentThread().interrupt();
      cancelled.set(true);
    }
    running.remove(process);
    // A grandchild that escaped the kill could keep the pipes open forever; do not wait for it.
    join(stdout);
    join(stderr);
    boolean killed = timedOut || cancelled.get() || process.isAlive();
    int exitCode = killed ? -1 : process.exitValue();
    return new CommandResult(exitCode, output.stdout(), output.stderr(), timedOut, cancelled.get() && !timedOut,
        output.truncated(), isolated(), Duration.ofNanos(System.nanoTime() - started));
  }

  /** Allowlisted variables only; a private HOME and TMPDIR; PATH without relative or in-root entries. */
  Map<String, String> environment(CommandRequest request) {
    Map<String, String> env = new TreeMap<>(policy.environmentFor(baseEnvironment, request));
    env.put("PATH", sanitizePath(env.getOrDefault("PATH", DEFAULT_PATH)));
    env.put("HOME", home.toString());
    env.put("TMPDIR", bubblewrap.isPresent() ? "/tmp" : home.resolve("tmp").toString());
    return env;
  }

  private String sanitizePath(String path) {
    StringJoiner kept = new StringJoiner(":");
    for (String dir : path.split(":")) {
      if (dir.startsWith("/") && !Path.of(dir).normalize().startsWith(root)) {
        kept.add(dir);
      }
    }
    String result = kept.toString();
    return result.isEmpty() ? DEFAULT_PATH : result;
  }

  /**
   * Finds the program's file ourselves rather than letting the OS search PATH (which could include
   * "." or a directory inside the sandbox the agent can write).
   */
  private Path resolve(String first, String program, String pathVariable) {
    if (first.indexOf('/') >= 0) {
      // The policy only lets node_modules/.bin/<name> through.
      Path local = root.resolve("node_modules/.bin").resolve(program);
      try {
        Path real = local.toRealPath();
        if (!real.startsWith(root) || !Files.isRegularFile(real) || !Files.isExecutable(real)) {
          throw new SandboxException("node_modules/.bin/" + program + " does not lead to an executable file inside the app");
        }
      } catch (IOException e) {
        throw new SandboxException("program not found: node_modules/.bin/" + program + " (run npm install first)");
      }
      return local;
    }
    for (String dir : pathVariable.split(":")) {
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new SandboxException("program not found on PATH: " + program);
  }

  /**
   * Directories a program outside /usr needs for bubblewrap to bind read-only: PATH entries outside
   * the host user's home, and the program's own install prefix (e.g. an nvm install under home,
   * but never home itself).
   */
  private Set<Path> installPrefixes(Path executable, String pathVariable) {
    Set<Path> out = new LinkedHashSet<>();
    Path homeDir = Path.of(System.getProperty("user.home", "/")).toAbsolutePath();
    // PATH entries under the host user's home (~/.cargo/bin...) are not bound: they would reveal it.
    for (String dir : pathVariable.split(":")) {
      Path p = Path.of(dir).normalize();
      if (p.getNameCount() >= 1 && !p.startsWith(homeDir)) {
        out.add(p);
      }
    }
    try {
      Path real = executable.toRealPath();
      // .../prefix/bin/node or .../prefix/lib/node_modules/npm/bin/npm-cli.js: bind the prefix.
      Set<Path> candidates = new HashSet<>();
      candidates.add(real.getParent());
      for (Path p = real.getParent(); p != null && p.getParent() != null; p = p.getParent()) {
        if (p.getFileName().toString().equals("lib") || p.getFileName().toString().equals("bin")) {
          candidates.add(p.getParent());
          break;
        }
      }
      for (Path c : candidates) {
        if (c.getNameCount() >= 2 && !c.equals(homeDir) && !c.startsWith(root)) {
          out.add(c);
        }
      }
    } catch (IOException e) {
      // Resolved a moment ago; if it vanished, bwrap reports it.
    }
    return out;
  }

  /** Kills every command still running (the sandbox is closing). */
  void killAll() {
    running.forEach(CommandRunner::killTree);
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

  private static Thread pump(InputStream in, Output output, boolean isStdout, String program) {
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
            output.append(isStdout, chars.toString());
          }
          chars.clear();
        }
        pending.flip();
        decoder.decode(pending, chars, true);
        decoder.flush(chars);
        chars.flip();
        if (chars.hasRemaining()) {
          output.append(isStdout, chars.toString());
        }
      } catch (IOException e) {
        // The stream closed under us (process killed): what was read is kept.
      }
    }, "chatbuilder-" + program + (isStdout ? "-stdout" : "-stderr"));
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
