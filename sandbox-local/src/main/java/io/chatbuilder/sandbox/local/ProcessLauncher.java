package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.ResourceLimits;
import io.chatbuilder.core.sandbox.ServiceRequest;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts every process of one sandbox, commands and services alike: the policy's scrubbed
 * environment, the program resolved by the SDK, and (isolated) the chain
 * <pre>
 *   sh (enters the process tree's cgroups) → prlimit (file size, CPU time, core dumps; processes
 *   when not root) → bwrap (the profile of {@link Bubblewrap}) → [sh: socat egress bridge] → program
 * </pre>
 * Each link is a fixed program from the system directories with a constant script; the app's argv
 * is only ever passed as {@code "$@"}, never put into a shell string.
 *
 * <p>Processes are started from one long-lived thread per sandbox: bwrap's {@code --die-with-parent}
 * (the kernel's parent-death signal) fires when the <em>thread</em> that started it ends, so a
 * service started from a short-lived caller thread would otherwise die with that thread.
 */
final class ProcessLauncher implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(ProcessLauncher.class);
  private static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
  /** The loopback port inside the sandbox where the egress bridge listens (each process has its own network). */
  static final int EGRESS_PORT = 3128;

  /** Enters the cgroups given as "$2".."$n+1", then runs the rest. */
  private static final String ENTER_CGROUPS = "n=$1; shift\n"
      + "while [ \"$n\" -gt 0 ]; do\n"
      + "  echo $$ > \"$1/cgroup.procs\" || { echo \"chatbuilder: cannot enter the cgroup $1\" >&2; exit 125; }\n"
      + "  shift; n=$((n-1))\n"
      + "done\n"
      + "exec \"$@\"\n";

  /** Inside the sandbox: bridges 127.0.0.1:"$1" to the egress proxy's socket with socat "$2", waits until it listens, runs the rest. */
  private static final String EGRESS_BRIDGE = "port=$1; socat=$2; shift 2\n"
      + "\"$socat\" TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:" + Bubblewrap.RUN_DIRECTORY
      + "/egress/proxy.sock </dev/null >/dev/null 2>&1 &\n"
      + "hex=$(printf %04X \"$port\")\n"
      + "i=0\n"
      + "while ! /bin/grep -q \": 0100007F:$hex 00000000:0000 0A \" /proc/net/tcp; do\n"
      + "  i=$((i+1))\n"
      + "  if [ $i -gt 1000 ]; then echo \"chatbuilder: the egress bridge did not start\" >&2; exit 125; fi\n"
      + "  /bin/sleep 0.01\n"
      + "done\n"
      + "exec \"$@\"\n";

  private final String sandboxId;
  private final Path root;
  private final Path runDirectory;
  private final Path home;
  private final CommandPolicy policy;
  private final Map<String, String> baseEnvironment;
  private final boolean isolated;
  private final Optional<Bubblewrap> bubblewrap;
  private final Bubblewrap.Probes probes;
  private final Path cgroupMount;
  private final boolean root0;
  private final ExecutorService spawner;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lock = new Object();
  private Optional<String> isolationProblem;
  private Cgroups cgroups;
  private EgressProxy egress;
  private DiskWatchdog watchdog;
  private boolean warnedLimits;

  ProcessLauncher(String sandboxId, Path root, Path runDirectory, CommandPolicy policy, Map<String, String> baseEnvironment,
      boolean isolated, Optional<Bubblewrap> bubblewrap, Bubblewrap.Probes probes, Path cgroupMount) {
    this.sandboxId = sandboxId;
    this.root = root;
    this.runDirectory = runDirectory;
    this.home = runDirectory.resolve("home");
    this.policy = policy;
    this.baseEnvironment = Map.copyOf(baseEnvironment);
    this.isolated = isolated;
    this.bubblewrap = bubblewrap;
    this.probes = probes;
    this.cgroupMount = cgroupMount;
    this.root0 = runsAsRoot();
    this.spawner = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "chatbuilder-spawn-" + sandboxId);
      t.setDaemon(true);
      return t;
    });
  }

  static boolean runsAsRoot() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  boolean isolated() {
    return isolated;
  }

  /** Threads of every process with this JVM's uid (what RLIMIT_NPROC counts on the host). */
  private static long tasksOfThisUser() {
    Object uid;
    try {
      uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return 0;
    }
    long tasks = 0;
    try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
          continue;
        }
        try {
          if (uid.equals(Files.getAttribute(p, "unix:uid"))) {
            try (java.util.stream.Stream<Path> threads = Files.list(p.resolve("task"))) {
              tasks += threads.count();
            }
          }
        } catch (IOException | RuntimeException e) {
          // Exited meanwhile.
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return tasks;
  }

  Path home() {
    return home;
  }

  Path runDirectory() {
    return runDirectory;
  }

  CommandPolicy policy() {
    return policy;
  }

  boolean runsAsRootUser() {
    return root0;
  }

  /** Why isolated processes cannot run here (probed once), or empty if they can or the host opted out. */
  Optional<String> isolationProblem() {
    if (!isolated) {
      return Optional.empty();
    }
    synchronized (lock) {
      if (isolationProblem == null) {
        isolationProblem = bubblewrap.isEmpty()
            ? Optional.of("bwrap is not installed (install the Debian package 'bubblewrap')")
            : probes.probe(bubblewrap.get(), root, home)
                .map(p -> "bubblewrap does not work here (" + p + "); it needs unprivileged user namespaces "
                    + "(Debian package 'bubblewrap', kernel.unprivileged_userns_clone=1, a container that allows them)");
      }
      return isolationProblem;
    }
  }

  /** Throws unless isolated processes can run: bwrap works, socat where a bridge is needed, a pids cgroup for root. */
  private void requireIsolation(boolean service) {
    Optional<String> problem = isolationProblem();
    if (problem.isPresent()) {
      throw new SandboxException("sandbox " + sandboxId + " refuses to run app code unisolated: " + problem.get()
          + ". To run unisolated anyway (trusted code only), build the sandbox with unisolated().");
    }
    if (needsEgress() || (service && !policy.allowNetwork())) {
      if (Bubblewrap.systemProgram("socat").isEmpty()) {
        throw new SandboxException("sandbox " + sandboxId + " cannot bridge " + (service ? "a service's port or " : "")
            + "the egress proxy: socat is not installed (install the Debian package 'socat')");
      }
    }
    if (service && !policy.allowNetwork()) {
      for (String p : List.of("nsenter", "setpriv")) {
        if (Bubblewrap.systemProgram(p).isEmpty()) {
          throw new SandboxException("sandbox " + sandboxId + " cannot bridge a service's port: " + p
              + " is not installed (install the Debian package 'util-linux')");
        }
      }
    }
    if (Bubblewrap.systemProgram("prlimit").isEmpty()) {
      throw new SandboxException("sandbox " + sandboxId + " cannot set resource limits: prlimit is not installed "
          + "(install the Debian package 'util-linux')");
    }
    Cgroups groups = cgroups();
    if (root0 && groups.unavailable().isPresent()) {
      throw new SandboxException("sandbox " + sandboxId + " cannot limit its processes: the JVM runs as root, where the "
          + "kernel does not enforce RLIMIT_NPROC, and " + groups.unavailable().get() + ". Give the JVM a writable pids "
          + "cgroup (cgroup v1 at /sys/fs/cgroup/pids, or a delegated cgroup v2 hierarchy) or run it as an unprivileged user.");
    }
    synchronized (lock) {
      if (!warnedLimits) {
        warnedLimits = true;
        if (!groups.limitsMemory()) {
          log.warn("sandbox {}: no writable memory cgroup here; the memory of its processes is NOT limited", sandboxId);
        }
        if (!groups.limitsCpu()) {
          log.warn("sandbox {}: no writable cpu cgroup here; the CPU share of its processes is NOT limited", sandboxId);
        }
      }
    }
  }

  private Cgroups cgroups() {
    synchronized (lock) {
      if (cgroups == null) {
        cgroups = Cgroups.detect(cgroupMount);
      }
      return cgroups;
    }
  }

  private boolean needsEgress() {
    return isolated && !policy.allowNetwork() && !policy.allowedHosts().isEmpty();
  }

  private Path egressDirectory() {
    synchronized (lock) {
      if (egress == null) {
        if (closed.get()) {
          throw new SandboxException("sandbox " + sandboxId + " is closed");
        }
        Path dir = runDirectory.resolve("egress");
        try {
          Files.createDirectories(dir);
        } catch (IOException e) {
          throw new SandboxException("cannot create the egress directory: " + e.getMessage(), e);
        }
        egress = EgressProxy.start(policy, dir.resolve("proxy.sock"), sandboxId);
      }
      return egress.socket().getParent();
    }
  }

  private DiskWatchdog watchdog() {
    synchronized (lock) {
      if (watchdog == null) {
        watchdog = new DiskWatchdog(List.of(root, home), policy.limits().maxDiskBytes(), sandboxId);
      }
      return watchdog;
    }
  }

  /** Allowlisted variables only; a private HOME and TMPDIR; PATH without relative or in-root entries; the proxy. */
  Map<String, String> commandEnvironment(CommandRequest request) {
    return finish(new TreeMap<>(policy.environmentFor(baseEnvironment, request)), 0);
  }

  /** Like a command's, plus the host's own variables of the request (never the agent's). */
  Map<String, String> serviceEnvironment(ServiceRequest request) {
    Map<String, String> env = new TreeMap<>(policy.environmentFor(baseEnvironment, new CommandRequest(request.argv(),
        request.workingDirectory(), Map.of(), Optional.empty())));
    // The sandbox decides where programs come from, where home is and where temp files go.
    request.environment().forEach((k, v) -> {
      if (!k.equals("PATH") && !k.equals("HOME") && !k.equals("TMPDIR")) {
        env.put(k, v);
      }
    });
    env.putAll(policy.fixedEnvironment());
    return finish(env, request.port());
  }

  private Map<String, String> finish(Map<String, String> env, int servicePort) {
    env.put("PATH", sanitizePath(env.getOrDefault("PATH", DEFAULT_PATH)));
    env.put("HOME", home.toString());
    env.put("TMPDIR", isolated ? "/tmp" : home.resolve("tmp").toString());
    if (isolated && !policy.allowNetwork()) {
      // The host's proxies are unreachable from the sandbox's network; ours is the only way out.
      for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
          "ALL_PROXY", "all_proxy", "npm_config_proxy", "npm_config_https_proxy", "npm_config_noproxy")) {
        env.remove(name);
      }
      if (needsEgress()) {
        String proxy = "http://127.0.0.1:" + egressPort(servicePort);
        for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "npm_config_proxy",
            "npm_config_https_proxy")) {
          env.put(name, proxy);
        }
        env.put("NO_PROXY", "localhost,127.0.0.1,::1");
        env.put("no_proxy", "localhost,127.0.0.1,::1");
      }
    }
    return env;
  }

  static int egressPort(int servicePort) {
    return servicePort == EGRESS_PORT ? EGRESS_PORT + 1 : EGRESS_PORT;
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
  Path resolve(String first, String program, String pathVariable) {
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
      if (p.getNameCount() >= 1 && !p.startsWith(homeDir) && !p.startsWith("/tmp")) {
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

  /** What kind of process: commands get a CPU-time limit, services do not (they are held to a CPU share). */
  enum Kind { COMMAND, SERVICE }

  /**
   * Starts a process: checks isolation (fails closed), creates its cgroups, builds the chain and
   * starts it from the sandbox's spawner thread.
   */
  Launched start(Kind kind, Path executable, List<String> args, Path workingDirectory, Map<String, String> env, int servicePort) {
    if (closed.get()) {
      throw new SandboxException("sandbox " + sandboxId + " is closed");
    }
    List<String> program = new ArrayList<>();
    program.add(executable.toString());
    program.addAll(args);
    if (!isolated) {
      return spawn(program, workingDirectory, env, Optional.empty(), kind, false);
    }
    requireIsolation(kind == Kind.SERVICE);
    ResourceLimits limits = policy.limits();
    Optional<Cgroups.Group> group = cgroups().unavailable().isPresent() ? Optional.empty()
        : Optional.of(cgroups().create(sandboxId, limits));
    try {
      List<String> cmd = new ArrayList<>();
      if (group.isPresent()) {
        cmd.addAll(List.of("/bin/sh", "-c", ENTER_CGROUPS, "sh", Integer.toString(group.get().directories().size())));
        group.get().directories().forEach(d -> cmd.add(d.toString()));
      }
      cmd.add(Bubblewrap.systemProgram("prlimit").orElseThrow().toString());
      cmd.add("--core=0");
      cmd.add("--fsize=" + limits.maxFileBytes());
      if (kind == Kind.COMMAND) {
        // Soft limit first: SIGXCPU names the cause in the exit status; the hard limit a second later is SIGKILL.
        long seconds = Math.max(1, limits.maxCpuTime().toSeconds());
        cmd.add("--cpu=" + seconds + ":" + (seconds + 1));
      }
      if (!root0 && group.isEmpty()) {
        // Without a pids cgroup. The kernel checks RLIMIT_NPROC in the sandbox's user namespace and
        // again against everything this uid runs on the host (the JVM's threads, other sandboxes),
        // so the budget is what already runs plus this process tree's own.
        cmd.add("--nproc=" + (limits.maxProcesses() + tasksOfThisUser()));
      }
      cmd.add("--");
      List<String> inner = new ArrayList<>();
      boolean egressBridge = needsEgress();
      if (egressBridge) {
        inner.addAll(List.of("/bin/sh", "-c", EGRESS_BRIDGE, "sh", Integer.toString(egressPort(servicePort)),
            Bubblewrap.systemProgram("socat").orElseThrow().toString()));
      }
      inner.addAll(program);
      boolean ingress = kind == Kind.SERVICE && !policy.allowNetwork();
      Bubblewrap.Profile profile = new Bubblewrap.Profile(root, home, workingDirectory, policy.allowNetwork(),
          egressBridge ? Optional.of(egressDirectory()) : Optional.empty(),
          // An unprivileged host can join the sandbox's network only without bwrap's nested user namespace.
          !(ingress && !root0), installPrefixes(executable, env.get("PATH")));
      cmd.addAll(bubblewrap.orElseThrow().command(profile, inner));
      return spawn(cmd, workingDirectory, env, group, kind, true);
    } catch (RuntimeException e) {
      group.ifPresent(Cgroups.Group::remove);
      throw e;
    }
  }

  private Launched spawn(List<String> cmd, Path workingDirectory, Map<String, String> env, Optional<Cgroups.Group> group,
      Kind kind, boolean limited) {
    ProcessBuilder builder = new ProcessBuilder(cmd).directory(workingDirectory.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process = onSpawner(builder::start, cmd.get(0));
    Launched launched = new Launched(process, group, policy.limits(), kind);
    if (limited) {
      launched.watch(watchdog().watch(launched::overDiskLimit));
    }
    return launched;
  }

  /** Runs a process start on the sandbox's long-lived spawner thread (see the class comment). */
  Process onSpawner(ProcessStart start, String what) {
    Future<Process> future;
    try {
      future = spawner.submit(start::start);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new SandboxException("sandbox " + sandboxId + " is closed");
    }
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new SandboxException("cannot start " + what + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw new SandboxException("interrupted while starting " + what);
    }
  }

  @FunctionalInterface
  interface ProcessStart {
    Process start() throws IOException;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (lock) {
      if (egress != null) {
        egress.close();
      }
    }
    spawner.shutdownNow();
  }

  /** A started process with its cgroups and watchdog registration; knows which limit stopped it. */
  static final class Launched {
    private final Process process;
    private final Optional<Cgroups.Group> group;
    private final ResourceLimits limits;
    private final Kind kind;
    private final AtomicBoolean overDisk = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile AutoCloseable watch = () -> {};

    Launched(Process process, Optional<Cgroups.Group> group, ResourceLimits limits, Kind kind) {
      this.process = process;
      this.group = group;
      this.limits = limits;
      this.kind = kind;
    }

    Process process() {
      return process;
    }

    private void watch(AutoCloseable handle) {
      this.watch = handle;
    }

    private void overDiskLimit() {
      overDisk.set(true);
      kill();
    }

    boolean killedForDisk() {
      return overDisk.get();
    }

    /** Kills the whole tree: every process of its cgroups, and every descendant of the process. */
    void kill() {
      CommandRunner.killTree(process);
      group.ifPresent(Cgroups.Group::killAll);
    }

    /** The limits that stopped the process, as messages for its output. */
    List<String> limitNotices(int exitCode) {
      List<String> notices = new ArrayList<>();
      group.ifPresent(g -> notices.addAll(g.limitsHit()));
      if (kind == Kind.COMMAND && exitCode == 128 + 24) {
        notices.add("killed: over the " + limits.maxCpuTime().toSeconds() + " s CPU time limit");
      }
      if (exitCode == 128 + 25) {
        notices.add("killed: a file grew over the " + limits.maxFileBytes() + " byte file size limit");
      }
      if (overDisk.get()) {
        notices.add("killed: the app directory grew over the " + limits.maxDiskBytes() + " byte disk limit");
      }
      return notices;
    }

    /** After the process ended: stops watching, kills stragglers, removes the cgroups. Idempotent. */
    void finish() {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      try {
        watch.close();
      } catch (Exception e) {
        // Nothing to undo.
      }
      group.ifPresent(Cgroups.Group::remove);
    }
  }
}
