package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.SandboxService;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running service of a {@link LocalSandbox}: its process tree (under the same chain as commands,
 * without a timeout) and, when its network is denied, the bridge that lets the host reach its port:
 * <pre>
 *   host client → 127.0.0.1:&lt;ephemeral&gt; (ServiceForwarder, in the JVM)
 *     → unix socket in the sandbox's private host directory (never visible inside any sandbox)
 *     → socat, run by the host inside the sandbox's network namespace only (nsenter)
 *     → 127.0.0.1:&lt;port&gt; in the sandbox, where the service listens
 * </pre>
 * The bridge's socat runs in the host's file system, so nothing the app does inside its sandbox
 * can redirect the host's end to another socket (a symlink swapped into a directory the sandbox
 * could write would do exactly that).
 */
final class LocalService implements SandboxService {
  private static final Logger log = LoggerFactory.getLogger(LocalService.class);

  private final String name;
  private final URI endpoint;
  private final boolean isolated;
  private final ProcessLauncher.Launched launched;
  private final Optional<Process> bridge;
  private final Optional<ServiceForwarder> forwarder;
  private final Optional<Path> socket;
  private final CommandListener output;
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();
  private final AtomicBoolean killedByUs = new AtomicBoolean();
  private final Runnable onEnd;
  private final Thread stdout;
  private final Thread stderr;

  private LocalService(String name, URI endpoint, boolean isolated, ProcessLauncher.Launched launched, Optional<Process> bridge,
      Optional<ServiceForwarder> forwarder, Optional<Path> socket, CommandListener output, Runnable onEnd) {
    this.name = name;
    this.endpoint = endpoint;
    this.isolated = isolated;
    this.launched = launched;
    this.bridge = bridge;
    this.forwarder = forwarder;
    this.socket = socket;
    this.output = output;
    this.onEnd = onEnd;
    Process process = launched.process();
    this.stdout = CommandRunner.pump(process.getInputStream(), chunk -> deliver(true, chunk), "chatbuilder-svc-" + name + "-stdout");
    this.stderr = CommandRunner.pump(process.getErrorStream(), chunk -> deliver(false, chunk), "chatbuilder-svc-" + name + "-stderr");
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // gone already
    }
    process.onExit().thenRun(this::ended);
  }

  /**
   * Starts the service's process and its bridge. {@code socketPath} is where the bridge listens on
   * the host (used only when the service's network is denied and it runs isolated).
   */
  static LocalService start(ProcessLauncher launcher, String name, ProcessLauncher.Launched launched, int port, boolean bridged,
      Path socketPath, CommandListener output, Runnable onEnd) {
    if (!bridged) {
      return new LocalService(name, URI.create("http://127.0.0.1:" + port + "/"), launcher.isolated(), launched, Optional.empty(),
          Optional.empty(), Optional.empty(), output, onEnd);
    }
    Process bridge = null;
    ServiceForwarder forwarder = null;
    try {
      long init = sandboxInit(launched.process());
      List<String> cmd = new ArrayList<>(List.of(
          Bubblewrap.systemProgram("setpriv").orElseThrow().toString(), "--pdeathsig", "KILL", "--",
          Bubblewrap.systemProgram("nsenter").orElseThrow().toString(), "--target", Long.toString(init), "--net"));
      if (!launcher.runsAsRootUser()) {
        cmd.addAll(List.of("--user", "--preserve-credentials"));
      }
      cmd.addAll(List.of("--", Bubblewrap.systemProgram("socat").orElseThrow().toString(),
          "UNIX-LISTEN:" + socketPath + ",fork,mode=600", "TCP:127.0.0.1:" + port));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().clear();
      pb.environment().put("PATH", "/usr/bin:/bin");
      bridge = launcher.onSpawner(pb::start, "the service bridge");
      Process b = bridge;
      StringBuilder bridgeOutput = new StringBuilder();
      // socat reports a refused connection per client while the service boots: keep the first lines for errors only.
      CommandRunner.pump(b.getInputStream(), chunk -> {
        synchronized (bridgeOutput) {
          if (bridgeOutput.length() < 4096) {
            bridgeOutput.append(chunk);
          }
        }
        log.debug("service {} bridge: {}", name, chunk.strip());
      }, "chatbuilder-svc-" + name + "-bridge");
      for (int i = 0; i < 2000 && !Files.exists(socketPath); i++) {
        if (!b.isAlive() || !launched.process().isAlive()) {
          break;
        }
        Thread.sleep(5);
      }
      if (!Files.exists(socketPath)) {
        String why;
        synchronized (bridgeOutput) {
          why = bridgeOutput.toString().strip();
        }
        throw new SandboxException("cannot bridge service " + name + " to the host"
            + (launched.process().isAlive() ? "" : " (the service exited with " + launched.process().exitValue() + ")")
            + (why.isEmpty() ? "" : ": " + why));
      }
      forwarder = ServiceForwarder.start(socketPath, name);
      return new LocalService(name, URI.create("http://127.0.0.1:" + forwarder.port() + "/"), true, launched, Optional.of(bridge),
          Optional.of(forwarder), Optional.of(socketPath), output, onEnd);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cleanUpFailedStart(launched, bridge, forwarder, socketPath);
      throw new SandboxException("interrupted while starting service " + name);
    } catch (RuntimeException e) {
      cleanUpFailedStart(launched, bridge, forwarder, socketPath);
      throw e;
    }
  }

  private static void cleanUpFailedStart(ProcessLauncher.Launched launched, Process bridge, ServiceForwarder forwarder, Path socket) {
    launched.kill();
    if (bridge != null) {
      bridge.destroyForcibly();
    }
    if (forwarder != null) {
      forwarder.close();
    }
    launched.finish();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // The run directory goes with the sandbox.
    }
  }

  /**
   * The host pid of the sandbox's first process (bwrap's child, pid 1 in the sandbox), once it is
   * in its own network namespace: the namespace the bridge joins.
   */
  private static long sandboxInit(Process bwrap) throws InterruptedException {
    String hostNet = netns(ProcessHandle.current().pid()).orElse("");
    for (int i = 0; i < 2000; i++) {
      if (!bwrap.isAlive()) {
        throw new SandboxException("the service's sandbox exited at once with " + bwrap.exitValue());
      }
      Optional<ProcessHandle> child = bwrap.toHandle().children().findFirst();
      if (child.isPresent()) {
        long pid = child.get().pid();
        Optional<String> net = netns(pid);
        if (net.isPresent() && !net.get().equals(hostNet) && mapped(pid)) {
          return pid;
        }
      }
      Thread.sleep(5);
    }
    throw new SandboxException("the service's sandbox did not start within 10 s");
  }

  private static Optional<String> netns(long pid) {
    try {
      return Optional.of(Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  /** bwrap writes the uid map right after the clone; joining before that would fail for an unprivileged host. */
  private static boolean mapped(long pid) {
    try {
      return !Files.readString(Path.of("/proc/" + pid + "/uid_map"), StandardCharsets.US_ASCII).isBlank();
    } catch (IOException e) {
      return false;
    }
  }

  private void deliver(boolean isStdout, String chunk) {
    try {
      if (isStdout) {
        output.onStdout(chunk);
      } else {
        output.onStderr(chunk);
      }
    } catch (RuntimeException e) {
      // A failing listener must not stop the service.
    }
  }

  private void ended() {
    Process process = launched.process();
    int code = process.exitValue();
    // The pipes close when the last process of the tree is gone; the notices come after the output.
    launched.kill();
    join(stdout);
    join(stderr);
    for (String notice : launched.limitNotices(code)) {
      deliver(false, "\n[chatbuilder] service " + name + " " + notice + "\n");
    }
    launched.finish();
    bridge.ifPresent(Process::destroyForcibly);
    forwarder.ifPresent(ServiceForwarder::close);
    socket.ifPresent(s -> {
      try {
        Files.deleteIfExists(s);
      } catch (IOException e) {
        // The run directory goes with the sandbox.
      }
    });
    onEnd.run();
    exited.complete(killedByUs.get() || launched.killedForDisk() ? -1 : code);
  }

  private static void join(Thread t) {
    try {
      t.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public URI endpoint() {
    return endpoint;
  }

  @Override
  public boolean isAlive() {
    return launched.process().isAlive();
  }

  @Override
  public CompletableFuture<Integer> exited() {
    return exited;
  }

  @Override
  public boolean isolated() {
    return isolated;
  }

  @Override
  public void close() {
    killedByUs.set(true);
    launched.kill();
    bridge.ifPresent(Process::destroyForcibly);
    forwarder.ifPresent(ServiceForwarder::close);
    try {
      exited.get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("service {} did not end within 15 s of being killed", name);
    }
  }
}
