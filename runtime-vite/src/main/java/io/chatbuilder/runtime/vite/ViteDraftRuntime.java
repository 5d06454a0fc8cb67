package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draft mode on this machine: one Vite dev server per app, run with {@code node} in the app's
 * directory on a free port of 127.0.0.1. Edits written to the directory reach the preview through
 * Vite's file watcher (HMR), without a restart.
 *
 * <pre>{@code
 * ViteDraftRuntime drafts = ViteDraftRuntime.builder(appId -> appsDir.resolve(appId))
 *     .npmCache(Path.of("var/npm-cache"))      // shared by every app
 *     .idleTimeout(Duration.ofMinutes(15))
 *     .build();
 * DraftStatus status = drafts.start("shop", message -> ui.status(message));
 * status.previewUrl();                          // http://127.0.0.1:<port>/
 * }</pre>
 *
 * <p>{@link #start} installs dependencies with {@code npm ci} when {@code node_modules} is missing
 * or {@code package.json}/{@code package-lock.json} changed since the last install (then the running
 * server is restarted), waits until the server answers HTTP, and returns. A server that crashes is
 * restarted up to {@link Builder#maxRestarts} times; one without {@link #start}/{@link #status}
 * calls for {@link Builder#idleTimeout} is stopped. Processes get a scrubbed environment (PATH, a
 * private HOME, the npm cache, CI=1, NO_COLOR=1) and are killed with their whole process tree.
 * Thread-safe.
 */
public final class ViteDraftRuntime implements DraftRuntime {
  private static final Logger log = LoggerFactory.getLogger(ViteDraftRuntime.class);
  private static final String HOST = "127.0.0.1";

  private final Function<String, Path> appDirectories;
  private final Npm npm;
  private final String node;
  private final Duration startTimeout;
  private final Duration idleTimeout;
  private final int maxRestarts;
  private final int logLines;
  private final Map<String, String> extraEnvironment;
  private final Optional<Duration> pollInterval;
  private final Clock clock;
  private final ScheduledExecutorService idleSweeper;
  private final ExecutorService crashHandlers;
  private final Map<String, DraftApp> apps = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private ViteDraftRuntime(Builder b) {
    this.appDirectories = b.appDirectories;
    this.npm = new Npm(b.npm, b.npmCache, b.installTimeout);
    this.node = b.node;
    this.startTimeout = b.startTimeout;
    this.idleTimeout = b.idleTimeout;
    this.maxRestarts = b.maxRestarts;
    this.logLines = b.logLines;
    this.extraEnvironment = Map.copyOf(b.environment);
    this.pollInterval = b.pollInterval;
    this.clock = b.clock;
    this.idleSweeper = Executors.newSingleThreadScheduledExecutor(daemon("chatbuilder-draft-idle"));
    this.crashHandlers = Executors.newCachedThreadPool(daemon("chatbuilder-draft-restart"));
    long sweepMillis = Math.max(100, Math.min(10_000, idleTimeout.toMillis() / 4));
    idleSweeper.scheduleWithFixedDelay(this::sweepQuietly, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * A builder; {@code appDirectories} maps an app id to the directory holding its files (the
   * sandbox root), e.g. {@code id -> base.resolve(id)}.
   */
  public static Builder builder(Function<String, Path> appDirectories) {
    return new Builder(appDirectories);
  }

  /**
   * Installs if needed and starts the app's dev server, or returns the running one; blocks until it
   * serves. Install or start failures give a {@link DraftState#FAILED} status with the error and
   * the log tail, not an exception.
   *
   * @throws NotFoundException if the app's directory or its {@code package.json} does not exist
   * @throws io.chatbuilder.core.InvalidArgumentException if the app id is not acceptable
   * @throws IllegalStateException if this runtime is closed
   */
  @Override
  public DraftStatus start(String appId, StatusListener hostListener) {
    Settings.checkAppId(appId);
    StatusListener listener = Settings.safe(hostListener, log);
    checkOpen();
    DraftApp app = apps.computeIfAbsent(appId, id -> new DraftApp(id, logLines, clock.instant()));
    app.lock.lock();
    try {
      checkOpen();
      app.lastAccess = clock.instant();
      app.listener = listener;
      Path dir = appDirectory(appId);
      Process running = app.process;
      if (app.state == DraftState.RUNNING && running != null && running.isAlive()) {
        if (Npm.isInstalled(dir)) {
          return snapshot(app);
        }
        listener.onStatus("package.json or package-lock.json changed: reinstalling before the next preview");
        app.log.add("[chatbuilder] dependencies changed: stopping the dev server to reinstall");
      }
      killProcess(app);
      app.restarts = 0;
      app.error = null;
      try {
        install(app, dir, listener);
        launch(app, dir, listener, DraftState.STARTING);
      } catch (ChatBuilderException e) {
        fail(app, e.getMessage(), listener);
      }
      return snapshot(app);
    } finally {
      app.lock.unlock();
    }
  }

  /** The app's status; also counts as activity for the idle timeout. */
  @Override
  public DraftStatus status(String appId) {
    Settings.checkAppId(appId);
    DraftApp app = apps.get(appId);
    if (app == null) {
      return new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, clock.instant());
    }
    app.lastAccess = clock.instant();
    return snapshot(app);
  }

  @Override
  public void stop(String appId) {
    Settings.checkAppId(appId);
    DraftApp app = apps.get(appId);
    if (app == null) {
      return;
    }
    app.lock.lock();
    try {
      if (killProcess(app)) {
        app.log.add("[chatbuilder] dev server stopped");
      }
      setState(app, DraftState.STOPPED);
      app.error = null;
    } finally {
      app.lock.unlock();
    }
  }

  /** Stops every dev server; later calls to {@link #start} fail. */
  @Override
  public void close() {
    closed = true;
    idleSweeper.shutdownNow();
    for (DraftApp app : apps.values()) {
      app.lock.lock();
      try {
        killProcess(app);
        setState(app, DraftState.STOPPED);
      } finally {
        app.lock.unlock();
      }
    }
    crashHandlers.shutdownNow();
  }

  /** The process id of the app's running dev server (for monitoring and tests). */
  OptionalLong processId(String appId) {
    DraftApp app = apps.get(appId);
    Process p = app == null ? null : app.process;
    return p != null && p.isAlive() ? OptionalLong.of(p.pid()) : OptionalLong.empty();
  }

  /** Stops servers idle for longer than the idle timeout; returns their app ids. Runs periodically. */
  List<String> stopIdle() {
    List<String> stopped = new ArrayList<>();
    Instant now = clock.instant();
    for (DraftApp app : apps.values()) {
      if (app.state != DraftState.RUNNING || !app.lastAccess.plus(idleTimeout).isBefore(now)) {
        continue;
      }
      if (!app.lock.tryLock()) {
        continue; // starting or restarting right now: not idle
      }
      try {
        if (app.state == DraftState.RUNNING && app.lastAccess.plus(idleTimeout).isBefore(clock.instant())) {
          killProcess(app);
          app.log.add("[chatbuilder] dev server stopped after " + idleTimeout.toSeconds() + " s without use");
          setState(app, DraftState.STOPPED);
          stopped.add(app.appId);
        }
      } finally {
        app.lock.unlock();
      }
    }
    return stopped;
  }

  private void sweepQuietly() {
    try {
      List<String> stopped = stopIdle();
      if (!stopped.isEmpty()) {
        log.info("stopped idle draft dev servers: {}", stopped);
      }
    } catch (RuntimeException e) {
      log.warn("idle sweep failed", e);
    }
  }

  // ------------------------------------------------------------------ internals

  private Path appDirectory(String appId) {
    Path dir = Objects.requireNonNull(appDirectories.apply(appId), "app directory of " + appId + " == null");
    if (!Files.isDirectory(dir)) {
      throw new NotFoundException("app " + appId + " has no directory; create the app first");
    }
    if (!Files.isRegularFile(dir.resolve("package.json"))) {
      throw new NotFoundException("app " + appId + " has no package.json; create it from a template first");
    }
    return dir;
  }

  private Map<String, String> environment(Path dir) {
    Path home = dir.resolve(".chatbuilder").resolve("home");
    try {
      Files.createDirectories(home);
    } catch (IOException e) {
      throw new SandboxException("cannot create " + home + ": " + e.getMessage(), e);
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", Commands.hostPath());
    env.put("HOME", home.toString());
    npm.addEnvironment(env);
    env.put("CI", "1");
    env.put("NO_COLOR", "1");
    env.put("BROWSER", "none");
    pollInterval.ifPresent(interval -> {
      // Vite's watcher (chokidar 3) reads these; see Builder#pollFileChanges for why
      env.put("CHOKIDAR_USEPOLLING", "true");
      env.put("CHOKIDAR_INTERVAL", Long.toString(Math.max(1, interval.toMillis())));
    });
    env.putAll(extraEnvironment);
    return env;
  }

  private void install(DraftApp app, Path dir, StatusListener listener) {
    if (Npm.isInstalled(dir)) {
      return;
    }
    setState(app, DraftState.INSTALLING);
    app.log.add("[chatbuilder] installing dependencies");
    npm.ensureInstalled(dir, environment(dir), app.log::add, listener);
  }

  private void launch(DraftApp app, Path dir, StatusListener listener, DraftState startingState) {
    Map<String, String> env = environment(dir);
    for (int attempt = 1; ; attempt++) {
      int port = attempt == 1 && app.port > 0 && portFree(app.port) ? app.port : freePort();
      setState(app, startingState);
      listener.onStatus("starting the Vite dev server on " + HOST + ":" + port);
      app.log.add("[chatbuilder] starting vite on " + HOST + ":" + port);
      Process p = Commands.start(List.of(node, Npm.VITE_BIN, "--host", HOST, "--port", Integer.toString(port),
          "--strictPort", "--clearScreen", "false"), dir, env);
      Thread output = Commands.pump(p, "chatbuilder-vite-" + app.appId, app.log::add);
      app.process = p;
      app.port = port;
      Readiness readiness = awaitReady(p, port);
      if (readiness == Readiness.READY) {
        setState(app, DraftState.RUNNING);
        app.error = null;
        app.lastAccess = clock.instant(); // an install may have taken longer than the idle timeout
        listener.onStatus("preview ready at " + previewUrl(port));
        p.onExit().thenRunAsync(() -> onExit(app, p), crashHandlers);
        return;
      }
      app.process = null;
      Commands.killTree(p.toHandle());
      joinQuietly(output);
      if (readiness == Readiness.TIMED_OUT) {
        throw new StepFailure("the Vite dev server did not answer on " + HOST + ":" + port + " within "
            + startTimeout.toSeconds() + " s. Last output:\n" + app.log.last(15));
      }
      String tail = app.log.last(15);
      if (tail.contains("already in use") && attempt < 3) {
        continue; // another process took the port between the probe and the bind
      }
      throw new StepFailure("the Vite dev server exited with code " + p.exitValue() + " before serving. Last output:\n" + tail);
    }
  }

  private enum Readiness { READY, EXITED, TIMED_OUT }

  /** Polls the server over HTTP (not its colored console output) until it answers. */
  private Readiness awaitReady(Process p, int port) {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    URI uri = URI.create(previewUrl(port));
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        return Readiness.EXITED;
      }
      if (answers(uri) && p.isAlive()) {
        return Readiness.READY;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new io.chatbuilder.core.CancelledException("interrupted while the dev server was starting");
      }
    }
    return p.isAlive() ? Readiness.TIMED_OUT : Readiness.EXITED;
  }

  private static boolean answers(URI uri) {
    try {
      HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(5000);
      c.setRequestProperty("Connection", "close");
      try {
        int code = c.getResponseCode();
        try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
          if (in != null) {
            in.readAllBytes();
          }
        }
        return code > 0;
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  /** A dev server process ended: restart it unless it was stopped on purpose or restarted too often. */
  private void onExit(DraftApp app, Process p) {
    if (closed) {
      return;
    }
    app.lock.lock();
    try {
      if (closed || app.process != p) {
        return; // stopped or replaced on purpose
      }
      app.process = null;
      int code = p.exitValue();
      app.log.add("[chatbuilder] dev server exited with code " + code);
      StatusListener listener = app.listener;
      if (app.restarts >= maxRestarts) {
        fail(app, "the Vite dev server exited with code " + code + " after " + app.restarts
            + " restarts; not restarting again. Last output:\n" + app.log.last(15), listener);
        return;
      }
      app.restarts++;
      setState(app, DraftState.RESTARTING);
      log.warn("draft dev server of {} exited with code {}; restart {} of {}", app.appId, code, app.restarts, maxRestarts);
      listener.onStatus("the dev server exited (code " + code + "): restarting (" + app.restarts + " of " + maxRestarts + ")");
      try {
        Path dir = appDirectory(app.appId);
        if (!Npm.isInstalled(dir)) {
          install(app, dir, listener);
        }
        launch(app, dir, listener, DraftState.RESTARTING);
      } catch (ChatBuilderException e) {
        fail(app, e.getMessage(), listener);
      }
    } catch (RuntimeException e) {
      log.warn("restarting the dev server of {} failed", app.appId, e);
    } finally {
      app.lock.unlock();
    }
  }

  private void fail(DraftApp app, String error, StatusListener listener) {
    killProcess(app);
    app.error = error;
    setState(app, DraftState.FAILED);
    app.log.add("[chatbuilder] " + firstLine(error));
    listener.onStatus("draft failed: " + firstLine(error));
  }

  /** Kills the app's dev server tree, if any; returns whether there was one. */
  private static boolean killProcess(DraftApp app) {
    Process p = app.process;
    app.process = null; // first, so the exit is not taken for a crash
    if (p == null) {
      return false;
    }
    Commands.killTree(p.toHandle());
    return true;
  }

  private void setState(DraftApp app, DraftState state) {
    if (app.state != state) {
      app.state = state;
      app.since = clock.instant();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this draft runtime is closed");
    }
  }

  private static DraftStatus snapshot(DraftApp app) {
    DraftState state = app.state;
    Optional<String> url = state == DraftState.RUNNING && app.port > 0 ? Optional.of(previewUrl(app.port)) : Optional.empty();
    return new DraftStatus(app.appId, state, url, app.log.lines(), Optional.ofNullable(app.error), app.restarts, app.since);
  }

  private static String previewUrl(int port) {
    return "http://" + HOST + ":" + port + "/";
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new SandboxException("no free port on " + HOST + ": " + e.getMessage(), e);
    }
  }

  private static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void joinQuietly(Thread t) {
    try {
      t.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Mutable state of one app's dev server; changed only under {@link #lock}. */
  private static final class DraftApp {
    final String appId;
    final ReentrantLock lock = new ReentrantLock();
    final LogTail log;
    volatile DraftState state = DraftState.STOPPED;
    volatile Instant since;
    volatile Instant lastAccess;
    volatile String error;
    volatile int restarts;
    volatile int port;
    volatile Process process;
    volatile StatusListener listener = StatusListener.NONE;

    DraftApp(String appId, int logLines, Instant now) {
      this.appId = appId;
      this.log = new LogTail(logLines);
      this.since = now;
      this.lastAccess = now;
    }
  }

  /** Builds a {@link ViteDraftRuntime}. */
  public static final class Builder {
    private final Function<String, Path> appDirectories;
    private Path npmCache = Settings.defaultNpmCache();
    private String node = "node";
    private String npm = "npm";
    private Duration idleTimeout = Duration.ofMinutes(15);
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration installTimeout = Duration.ofMinutes(10);
    private int maxRestarts = 3;
    private int logLines = 200;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Optional<Duration> pollInterval = Optional.of(Duration.ofMillis(100));
    private Clock clock = Clock.systemUTC();

    private Builder(Function<String, Path> appDirectories) {
      this.appDirectories = Objects.requireNonNull(appDirectories, "appDirectories == null");
    }

    /** The npm cache every app installs through (default {@code ~/.cache/chatbuilder/npm}). */
    public Builder npmCache(Path npmCache) {
      this.npmCache = Objects.requireNonNull(npmCache, "npmCache == null").toAbsolutePath();
      return this;
    }

    /** The node program (default {@code node} on the PATH). */
    public Builder node(String node) {
      this.node = Settings.program(node, "node");
      return this;
    }

    /** The npm program (default {@code npm} on the PATH). */
    public Builder npm(String npm) {
      this.npm = Settings.program(npm, "npm");
      return this;
    }

    /** A server without start/status calls for this long is stopped (default 15 minutes). */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Settings.positive(idleTimeout, "idleTimeout");
      return this;
    }

    /** How long a server may take to answer HTTP after it is launched (default 60 s). */
    public Builder startTimeout(Duration startTimeout) {
      this.startTimeout = Settings.positive(startTimeout, "startTimeout");
      return this;
    }

    /** How long one npm install may take (default 10 minutes). */
    public Builder installTimeout(Duration installTimeout) {
      this.installTimeout = Settings.positive(installTimeout, "installTimeout");
      return this;
    }

    /** Restarts after crashes before the draft is {@link DraftState#FAILED} (default 3). */
    public Builder maxRestarts(int maxRestarts) {
      if (maxRestarts < 0) {
        throw new IllegalArgumentException("maxRestarts must be >= 0");
      }
      this.maxRestarts = maxRestarts;
      return this;
    }

    /** Lines of dev server output kept for the UI (default 200). */
    public Builder logLines(int logLines) {
      if (logLines < 1 || logLines > 100_000) {
        throw new IllegalArgumentException("logLines must be in 1..100000");
      }
      this.logLines = logLines;
      return this;
    }

    /**
     * Adds a variable to the scrubbed environment of npm and Vite, e.g. {@code npm_config_registry}
     * for a registry mirror. Nothing of the host's environment is passed but PATH.
     */
    public Builder environment(String name, String value) {
      Settings.environmentName(name);
      environment.put(name, Objects.requireNonNull(value, "value == null"));
      return this;
    }

    /**
     * Makes Vite notice file changes by polling their status every {@code interval} (the default,
     * every 100 ms). Sandboxes write files atomically (a temporary file renamed over the old one);
     * Vite's native file watcher occasionally missed such a replacement on a busy machine, leaving
     * the preview stale. Polling only covers the app's sources (Vite does not watch node_modules).
     */
    public Builder pollFileChanges(Duration interval) {
      this.pollInterval = Optional.of(Settings.positive(interval, "interval"));
      return this;
    }

    /** Uses the operating system's file events instead of polling (cheaper, see {@link #pollFileChanges}). */
    public Builder nativeFileEvents() {
      this.pollInterval = Optional.empty();
      return this;
    }

    /** The clock for status times and idleness (tests). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock == null");
      return this;
    }

    public ViteDraftRuntime build() {
      return new ViteDraftRuntime(this);
    }
  }
}
