package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.runtime.AppPagePolicy;
import io.chatbuilder.core.runtime.DiagnosticListener;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draft mode: one Vite dev server per app, run inside the app's {@link Sandbox} as a service
 * ({@link Sandbox#startService}); the preview URL is the service's {@link SandboxService#endpoint()},
 * the host's way into the sandbox. Edits written to the sandbox reach the preview through Vite's
 * file watcher (HMR), without a restart.
 *
 * <pre>{@code
 * LocalSandboxProvider sandboxes = LocalSandboxProvider.create(Path.of("var/apps"));
 * ViteDraftRuntime drafts = ViteDraftRuntime.builder(sandboxes)   // the same provider as the ChatBuilder's
 *     .idleTimeout(Duration.ofMinutes(15))
 *     .build();
 * DraftStatus status = drafts.start("shop", message -> ui.status(message));
 * status.previewUrl();                          // the service's endpoint, e.g. http://127.0.0.1:<port>/
 * }</pre>
 *
 * <p>Every process runs in the sandbox: {@code npm ci}/{@code npm install} through
 * {@link Sandbox#run} (lifecycle scripts off, see {@link Builder#allowInstallScripts}), and
 * {@code node node_modules/vite/bin/vite.js} through {@link Sandbox#startService}. Nothing inside the
 * app's directory decides what the runtime does: whether dependencies are installed is the hash of
 * package.json and package-lock.json the runtime recorded after its own last install (in memory, or
 * in {@link Builder#installStateDirectory}), never a marker file the app's code could write.
 *
 * <p>{@link #start} installs when that hash changed (then the running server is restarted), waits
 * until the server answers HTTP, and returns. When Vite fails because a module is missing (someone
 * deleted node_modules), it reinstalls once. A server that crashes is restarted up to
 * {@link Builder#maxRestarts} times; one without {@link #start}/{@link #status} calls for
 * {@link Builder#idleTimeout} is stopped. Thread-safe.
 *
 * <p>The provider must hand out the same sandbox per app as the {@code ChatBuilder}'s (as
 * {@code LocalSandboxProvider} does), so change tracking sees what npm writes; the runtime never
 * closes the sandboxes it gets.
 */
public final class ViteDraftRuntime implements DraftRuntime {
  private static final Logger log = LoggerFactory.getLogger(ViteDraftRuntime.class);
  /** The dev server's address inside the sandbox; the host reaches it only through the endpoint. */
  private static final String HOST = "127.0.0.1";
  private static final Pattern PORT_IN_USE = Pattern.compile("(?i)port \\d+ is (already )?in use|EADDRINUSE");

  private final SandboxProvider sandboxes;
  private final Npm npm;
  private final InstallState installs;
  private final Optional<DependencyCache> dependencyCache;
  private final java.util.function.Function<Sandbox, Optional<Path>> hostRoots;
  private final int servicePort;
  private final Duration startTimeout;
  private final Duration idleTimeout;
  private final int maxRestarts;
  private final int logLines;
  private final Map<String, String> extraEnvironment;
  private final Optional<io.chatbuilder.core.secrets.AppSecrets> secrets;
  private final java.util.function.Predicate<String> exposedSecrets;
  private final Optional<Duration> pollInterval;
  /** The path readiness asks for and the preview URL ends with; starts with "/". */
  private final String previewPath;
  private final Clock clock;
  /** Null when preview diagnostics are off: then the dev server script runs without its diagnostics plugin. */
  private final PreviewDiagnostics diagnostics;
  private final ScheduledExecutorService idleSweeper;
  private final ExecutorService crashHandlers;
  private final Map<String, DraftApp> apps = new ConcurrentHashMap<>();
  /** Fired by {@link #close}: kills installs still running. */
  private final Cancellation closing = new Cancellation();
  private volatile boolean closed;

  private ViteDraftRuntime(Builder b) {
    this.sandboxes = b.sandboxes;
    this.npm = new Npm(b.installTimeout, b.installScripts);
    this.installs = new InstallState(b.installStateDirectory);
    this.dependencyCache = b.dependencyCache;
    this.hostRoots = b.hostRoots;
    this.servicePort = b.servicePort;
    this.startTimeout = b.startTimeout;
    this.idleTimeout = b.idleTimeout;
    this.maxRestarts = b.maxRestarts;
    this.logLines = b.logLines;
    this.extraEnvironment = Map.copyOf(b.environment);
    this.secrets = b.secrets;
    this.exposedSecrets = b.exposedSecrets;
    this.pollInterval = b.pollInterval;
    this.previewPath = b.previewPath;
    this.clock = b.clock;
    this.diagnostics = b.diagnostics ? new PreviewDiagnostics(b.maxDiagnostics, b.maxDiagnosticBytes, b.clock) : null;
    this.idleSweeper = Executors.newSingleThreadScheduledExecutor(daemon("chatbuilder-draft-idle"));
    this.crashHandlers = Executors.newCachedThreadPool(daemon("chatbuilder-draft-restart"));
    long sweepMillis = Math.max(100, Math.min(10_000, idleTimeout.toMillis() / 4));
    idleSweeper.scheduleWithFixedDelay(this::sweepQuietly, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * A builder; {@code sandboxes} opens each app's sandbox, where every process of the draft runs.
   * Pass the provider (or instance) the host's {@code ChatBuilder} uses.
   */
  public static Builder builder(SandboxProvider sandboxes) {
    return new Builder(sandboxes);
  }

  /**
   * Installs if needed and starts the app's dev server, or returns the running one; blocks until it
   * serves. Install or start failures (also a sandbox that refuses to run the server, e.g. without
   * an isolation backend) give a {@link DraftState#FAILED} status with the error and the log tail,
   * not an exception.
   *
   * @throws NotFoundException if the app has no {@code package.json}
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
      Sandbox sandbox = sandbox(appId);
      SandboxService running = app.service;
      if (app.state == DraftState.RUNNING && running != null && running.isAlive()) {
        boolean installed = isInstalled(appId, sandbox);
        boolean sameSecrets = secretsHash(appId).equals(app.secretsHash);
        if (installed && sameSecrets) {
          return snapshot(app);
        }
        if (!installed) {
          listener.onStatus("package.json or package-lock.json changed: reinstalling before the next preview");
          app.log.add("[chatbuilder] dependencies changed: stopping the dev server to reinstall");
        } else {
          listener.onStatus("the app's secrets changed: restarting the dev server");
          app.log.add("[chatbuilder] secrets changed: restarting the dev server");
        }
      }
      killService(app);
      app.restarts = 0;
      app.error = null;
      if (diagnostics != null) {
        diagnostics.clear(appId); // a fresh server: what the last one reported is stale
      }
      try {
        installIfNeeded(app, sandbox, listener);
        launch(app, sandbox, listener, DraftState.STARTING);
      } catch (ChatBuilderException e) {
        fail(app, e.getMessage(), listener);
      }
      return snapshot(app);
    } finally {
      app.lock.unlock();
    }
  }

  /**
   * Updates the app's package-lock.json when package.json asks for other dependencies than it
   * records, or creates it when there is none ({@code npm install --package-lock-only} in
   * {@code sandbox}, the facade's fenced sandbox of the app; node_modules is left alone, the next
   * {@link #start} installs from the new lockfile). The facade calls it before it records a run's or
   * a new app's checkpoint, so the lockfile is part of that checkpoint. Waits for a start of the
   * same app that is installing, so two npm processes never share the app's directory.
   *
   * @throws io.chatbuilder.core.SandboxException if npm fails, with npm's error
   */
  @Override
  public boolean syncLockfile(String appId, Sandbox sandbox, StatusListener hostListener) {
    Settings.checkAppId(appId);
    Objects.requireNonNull(sandbox, "sandbox == null");
    StatusListener listener = Settings.safe(hostListener, log);
    checkOpen();
    DraftApp app = apps.computeIfAbsent(appId, id -> new DraftApp(id, logLines, clock.instant()));
    app.lock.lock();
    try {
      app.processRoot = sandbox.processRoot();
      try {
        return npm.syncLockfile(sandbox, app::addLog, listener, closing);
      } catch (StepFailure e) {
        throw new StepFailure(app.relativize(e.getMessage()));
      }
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
      if (killService(app)) {
        app.log.add("[chatbuilder] dev server stopped");
      }
      setState(app, DraftState.STOPPED);
      app.error = null;
      clearDiagnostics(appId);
    } finally {
      app.lock.unlock();
    }
  }

  /**
   * What the app's preview reported since its dev server was started (compile errors, uncaught
   * errors, unhandled rejections, {@code console.error}), least recently seen first, deduplicated
   * with counts and bounded by {@link Builder#maxDiagnostics} and {@link Builder#maxDiagnosticBytes}.
   * The page reports them while it is open in a browser; empty with diagnostics off.
   */
  @Override
  public List<PreviewDiagnostic> diagnostics(String appId) {
    Settings.checkAppId(appId);
    return diagnostics == null ? List.of() : diagnostics.list(appId);
  }

  /** Approximate bytes of the app's diagnostics buffer (tests of its bound). */
  long diagnosticBytes(String appId) {
    return diagnostics == null ? 0 : diagnostics.bytes(appId);
  }

  @Override
  public void clearDiagnostics(String appId) {
    Settings.checkAppId(appId);
    if (diagnostics != null) {
      diagnostics.clear(appId);
    }
  }

  /**
   * Delivers each new diagnostic and each count update (coalesced by the dev server, about every
   * 200 ms, and at most {@value PreviewDiagnostics#MAX_NOTIFICATIONS_PER_SECOND} calls per app and
   * second) on the thread that reads the dev server's output.
   */
  @Override
  public RunHandle.Subscription onDiagnostic(DiagnosticListener listener) {
    Objects.requireNonNull(listener, "listener == null");
    return diagnostics == null ? () -> { } : diagnostics.subscribe(listener);
  }

  /** Stops every dev server and kills running installs; later calls to {@link #start} fail. */
  @Override
  public void close() {
    closed = true;
    closing.cancel();
    idleSweeper.shutdownNow();
    for (DraftApp app : apps.values()) {
      app.lock.lock();
      try {
        killService(app);
        setState(app, DraftState.STOPPED);
      } finally {
        app.lock.unlock();
      }
    }
    crashHandlers.shutdownNow();
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
          killService(app);
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

  /** Whether the runtime's own record says the app's current dependencies are installed. */
  boolean isInstalled(String appId, Sandbox sandbox) {
    return installs.installed(appId).filter(Npm.dependencyHash(sandbox)::equals).isPresent();
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

  private Sandbox sandbox(String appId) {
    Sandbox sandbox = Objects.requireNonNull(sandboxes.open(appId), "sandbox of " + appId + " == null");
    DraftApp app = apps.get(appId);
    if (app != null) {
      app.processRoot = sandbox.processRoot();
    }
    if (sandbox.tryRead("package.json").isEmpty()) {
      throw new NotFoundException("app " + appId + " has no package.json; create it from a template first");
    }
    return sandbox;
  }

  /**
   * What the dev server gets on top of what the sandbox sets (PATH, HOME, TMPDIR, the policy's): the
   * app's secrets the host exposes, then the host's variables and the runtime's own.
   */
  static final String PAGE_POLICY_VARIABLE = "CHATBUILDER_PAGE_POLICY";
  static final String DIAGNOSTICS_VARIABLE = "CHATBUILDER_DIAGNOSTICS";

  private Map<String, String> environment(String appId) {
    Map<String, String> env = new LinkedHashMap<>(exposedSecrets(appId));
    env.put("BROWSER", "none");
    pollInterval.ifPresent(interval -> {
      // Vite's watcher (chokidar 3) reads these; see Builder#pollFileChanges for why
      env.put("CHOKIDAR_USEPOLLING", "true");
      env.put("CHOKIDAR_INTERVAL", Long.toString(Math.max(1, interval.toMillis())));
    });
    env.putAll(extraEnvironment);
    // The dev server script's Content-Security-Policy, last so no host variable replaces it.
    env.put(PAGE_POLICY_VARIABLE, AppPagePolicy.preview());
    if (diagnostics == null) {
      env.put(DIAGNOSTICS_VARIABLE, "off");
    }
    return env;
  }

  /** The app's secrets this runtime passes on (by default the VITE_* ones); never logged. */
  private Map<String, String> exposedSecrets(String appId) {
    if (secrets.isEmpty()) {
      return Map.of();
    }
    Map<String, String> out = new java.util.TreeMap<>();
    secrets.get().values(appId).forEach((name, value) -> {
      if (exposedSecrets.test(name)) {
        out.put(name, value);
      }
    });
    return out;
  }

  /** A digest of the exposed secrets: a change restarts a running server at the next start. */
  private String secretsHash(String appId) {
    java.security.MessageDigest md = io.chatbuilder.core.checkpoint.ContentHash.newSha256();
    exposedSecrets(appId).forEach((k, v) -> {
      md.update(k.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(v.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
    });
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  private void installIfNeeded(DraftApp app, Sandbox sandbox, StatusListener listener) {
    if (!isInstalled(app.appId, sandbox)) {
      install(app, sandbox, listener);
    }
  }

  private void install(DraftApp app, Sandbox sandbox, StatusListener listener) {
    install(app, sandbox, listener, true);
  }

  private void install(DraftApp app, Sandbox sandbox, StatusListener listener, boolean fromCache) {
    setState(app, DraftState.INSTALLING);
    app.log.add("[chatbuilder] installing dependencies");
    installs.forget(app.appId); // a failed install leaves node_modules half-made
    app.linkedFrom = Optional.empty();
    if (!fromCache || !linkFromCache(app, sandbox, listener)) {
      npm.install(sandbox, app::addLog, listener, closing);
    }
    // npm install may have rewritten package-lock.json: record what is there now
    installs.record(app.appId, Npm.dependencyHash(sandbox));
  }

  /**
   * Links node_modules from the dependency cache when there is one and it can serve this app;
   * returns false (after a status saying why) when npm must install instead.
   */
  private boolean linkFromCache(DraftApp app, Sandbox sandbox, StatusListener listener) {
    if (dependencyCache.isEmpty()) {
      return false;
    }
    String why;
    try {
      Optional<byte[]> manifest = sandbox.tryRead(Lockfiles.MANIFEST).map(c -> c.bytes());
      Optional<byte[]> lock = sandbox.tryRead(Lockfiles.LOCKFILE).map(c -> c.bytes());
      Optional<Path> root;
      try {
        root = hostRoots.apply(sandbox).map(p -> p.toAbsolutePath().normalize());
      } catch (RuntimeException e) {
        log.warn("the dependency cache's hostRoot function failed for {}", app.appId, e);
        root = Optional.empty(); // the host's function, e.g. a cast to the wrong sandbox class
      }
      if (!npm.scriptAllowlist().isEmpty()) {
        why = "install scripts are allowed for " + String.join(", ", npm.scriptAllowlist()) + " (they write into node_modules)";
      } else if (manifest.isEmpty() || lock.isEmpty() || !Lockfiles.inSync(manifest.get(), lock)) {
        why = "no package-lock.json in step with package.json";
      } else if (root.isEmpty() || !sameFile(root.get().resolve(Lockfiles.LOCKFILE), lock.get())) {
        why = "the app's directory on the host is unknown";
      } else {
        DependencyCache.Linked linked = dependencyCache.get().link(sandbox, root.get(), manifest.get(), lock.get(),
            app::addLog, listener, closing);
        app.linkedFrom = Optional.of(new LinkedFrom(manifest.get(), lock.get()));
        String how = linked.hardLinks() ? "hard links to read-only files" : "copies";
        app.log.add("[chatbuilder] dependencies linked from the dependency cache: " + linked.files() + " files, " + how);
        listener.onStatus("dependencies linked from the cache (" + linked.files() + " files, " + how + ")");
        return true;
      }
    } catch (DependencyCache.Unusable e) {
      why = e.getMessage();
    } catch (io.chatbuilder.core.TooLargeException e) {
      why = "package.json or package-lock.json is too large";
    }
    app.log.add("[chatbuilder] dependency cache not used: " + why);
    listener.onStatus("dependency cache not used (" + why + "): installing with npm");
    return false;
  }

  /** The two files whose dependency cache entry the app's node_modules was linked from. */
  private record LinkedFrom(byte[] manifest, byte[] lock) {}

  /**
   * After a start from linked dependencies failed: whether the entry's contents are still what was
   * filled (the stat checks before each link cannot see a same-size change made on the host). A
   * damaged entry is removed, and the caller reinstalls with npm, so a bad cache never leaves the
   * draft broken; an intact one means the failure is the app's own.
   */
  private Optional<String> cacheDamage(DraftApp app) {
    Optional<LinkedFrom> from = app.linkedFrom;
    if (dependencyCache.isEmpty() || from.isEmpty()) {
      return Optional.empty();
    }
    return dependencyCache.get().checkContents(from.get().manifest(), from.get().lock());
  }

  /** Whether the host's file is the one the sandbox read (so the host root is this app's directory). */
  private static boolean sameFile(Path hostFile, byte[] content) {
    try {
      // a regular file of the same size first: never open a FIFO or follow a link the app planted
      java.nio.file.attribute.BasicFileAttributes a = java.nio.file.Files.readAttributes(hostFile,
          java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() && a.size() == content.length
          && java.util.Arrays.equals(java.nio.file.Files.readAllBytes(hostFile), content);
    } catch (IOException e) {
      return false;
    }
  }

  private void launch(DraftApp app, Sandbox sandbox, StatusListener listener, DraftState startingState) {
    boolean reinstalled = false;
    boolean recheckedCache = false;
    for (int attempt = 1; ; attempt++) {
      int port = attempt == 1 && app.port > 0 ? app.port : attempt == 1 ? servicePort : freeHostPort();
      setState(app, startingState);
      listener.onStatus("starting the Vite dev server");
      app.log.add("[chatbuilder] starting vite on port " + port + " of the sandbox");
      long logMark = app.log.added();
      Lines lines = new Lines(line -> {
        if (diagnostics != null && PreviewDiagnostics.isDiagnosticLine(line)) {
          diagnostics.accept(app.appId, line);
        } else {
          app.addLog(line);
        }
      });
      app.secretsHash = secretsHash(app.appId);
      SandboxService service = sandbox.startService(new ServiceRequest("vite", devServerCommand(port), "", environment(app.appId), port),
          lines);
      app.service = service;
      app.port = port;
      Probe probe = new Probe();
      Readiness readiness = awaitReady(service, probe);
      if (readiness == Readiness.READY) {
        setState(app, DraftState.RUNNING);
        app.error = null;
        app.lastAccess = clock.instant(); // an install may have taken longer than the idle timeout
        listener.onStatus("preview ready at " + previewUrl(service));
        service.exited().thenRunAsync(() -> onExit(app, service), crashHandlers);
        return;
      }
      app.service = null;
      int code = readiness == Readiness.EXITED ? exitCode(service) : -1;
      service.close();
      lines.flush();
      if (readiness == Readiness.TIMED_OUT) {
        String answered = probe.lastStatus > 0
            ? "answered HTTP " + probe.lastStatus + " for " + previewPath + " (not a success) for "
            : "did not answer within ";
        throw new StepFailure("the Vite dev server " + answered + startTimeout.toSeconds()
            + " s and was stopped. Last output:\n" + app.log.last(15));
      }
      String output = app.log.since(logMark);
      String tail = app.log.last(15);
      if (Npm.missingModule(output)) {
        if (!reinstalled) {
          // node_modules was removed or damaged since the install the runtime recorded
          reinstalled = true;
          listener.onStatus("the dev server is missing a module: reinstalling dependencies once");
          install(app, sandbox, listener);
          attempt = 0;
          continue;
        }
        if (output.contains(Npm.VITE_BIN)) {
          throw new StepFailure("vite is not installed after npm: add \"vite\" to the devDependencies of package.json."
              + " Last output:\n" + tail);
        }
      }
      if (PORT_IN_USE.matcher(output).find() && attempt < 3) {
        continue; // only where the sandbox shares the host's network (unisolated): take a free port
      }
      if (!recheckedCache) {
        recheckedCache = true;
        Optional<String> damage = cacheDamage(app);
        if (damage.isPresent()) {
          app.log.add("[chatbuilder] " + damage.get() + ": reinstalling with npm");
          listener.onStatus(damage.get() + ": reinstalling with npm");
          install(app, sandbox, listener, false);
          attempt = 0;
          continue;
        }
      }
      throw new StepFailure("the Vite dev server exited with code " + code + " before serving. Last output:\n" + tail);
    }
  }

  /**
   * Vite's JavaScript API started by a script given to {@code node -e} (see
   * {@code preview/dev-server.cjs}), so the plugin joins the app's config without a file in the app;
   * the script is percent-encoded because the command policy refuses shell syntax in arguments.
   */
  private List<String> devServerCommand(int port) {
    List<String> vite = List.of(Npm.VITE_BIN, "--host", HOST, "--port", Integer.toString(port), "--strictPort",
        "--clearScreen", "false");
    // Always the script (it reads --host and --port of Vite's arguments): it is what sends the
    // preview's Content-Security-Policy and nosniff, with or without diagnostics.
    List<String> argv = new ArrayList<>(List.of("node", "-e", DevServerScript.EVAL));
    argv.addAll(vite);
    return argv;
  }

  /** The dev server script, loaded once: dev-server.cjs and the plugins it registers. */
  static final class DevServerScript {
    static final String SOURCE = NodeScripts.load("preview/dev-server.cjs") + "\n" + NodeScripts.load("preview/source-tags.cjs")
        + "\n" + NodeScripts.load("preview/select-mode.cjs");
    static final String EVAL = NodeScripts.evalArgument(SOURCE);

    private DevServerScript() {}

    static String percentEncode(String s) {
      return NodeScripts.percentEncode(s);
    }
  }

  private enum Readiness { READY, EXITED, TIMED_OUT }

  /** What the last readiness request got: its HTTP status, 0 before any answer. */
  private static final class Probe {
    volatile int lastStatus;
  }

  /**
   * Polls the server through the sandbox's endpoint over HTTP (not its console output) until the
   * preview path answers with a success: 2xx, or 3xx that is not followed further (a redirect to
   * another origin, e.g. a login page). Same-origin redirects are followed.
   */
  private Readiness awaitReady(SandboxService service, Probe probe) {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    long firstSeconds = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    URI uri = URI.create(previewUrl(service));
    while (System.nanoTime() < deadline) {
      if (!service.isAlive()) {
        return Readiness.EXITED;
      }
      int status = status(uri);
      if (status > 0) {
        probe.lastStatus = status;
      }
      if (status >= 200 && status < 400 && service.isAlive()) {
        return Readiness.READY;
      }
      try {
        // often at first, when a start from linked dependencies is a few hundred milliseconds away
        Thread.sleep(System.nanoTime() < firstSeconds ? 20 : 100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new io.chatbuilder.core.CancelledException("interrupted while the dev server was starting");
      }
    }
    return service.isAlive() ? Readiness.TIMED_OUT : Readiness.EXITED;
  }

  /** The HTTP status of {@code uri} after same-origin redirects (at most 5); 0 without an answer. */
  private static int status(URI uri) {
    URI current = uri;
    for (int hop = 0; hop <= 5; hop++) {
      int code;
      String location;
      try {
        HttpURLConnection c = (HttpURLConnection) current.toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout(1000);
        c.setReadTimeout(5000);
        c.setRequestProperty("Connection", "close");
        try {
          code = c.getResponseCode();
          location = c.getHeaderField("Location");
          try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
            if (in != null) {
              in.readAllBytes();
            }
          }
        } finally {
          c.disconnect();
        }
      } catch (IOException | IllegalArgumentException e) {
        return 0;
      }
      if (code < 300 || code >= 400 || location == null) {
        return code;
      }
      URI next;
      try {
        next = current.resolve(location);
      } catch (IllegalArgumentException e) {
        return code;
      }
      if (!java.util.Objects.equals(next.getScheme(), uri.getScheme()) || !java.util.Objects.equals(next.getHost(), uri.getHost())
          || next.getPort() != uri.getPort()) {
        return code; // leaves the preview's origin: the server answered, with a redirect
      }
      current = next;
    }
    return 0; // a redirect loop is not ready
  }

  /** A dev server ended: restart it unless it was stopped on purpose or restarted too often. */
  private void onExit(DraftApp app, SandboxService service) {
    if (closed) {
      return;
    }
    app.lock.lock();
    try {
      if (closed || app.service != service) {
        return; // stopped or replaced on purpose
      }
      app.service = null;
      int code = exitCode(service);
      service.close(); // whatever is left of its tree, and the bridge
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
        Sandbox sandbox = sandbox(app.appId);
        installIfNeeded(app, sandbox, listener);
        launch(app, sandbox, listener, DraftState.RESTARTING);
      } catch (ChatBuilderException e) {
        fail(app, e.getMessage(), listener);
      }
    } catch (RuntimeException e) {
      log.warn("restarting the dev server of {} failed", app.appId, e);
    } finally {
      app.lock.unlock();
    }
  }

  private void fail(DraftApp app, String failure, StatusListener listener) {
    killService(app);
    String error = app.relativize(failure);
    app.error = error;
    setState(app, DraftState.FAILED);
    app.log.add("[chatbuilder] " + firstLine(error));
    listener.onStatus("draft failed: " + firstLine(error));
  }

  /** Kills the app's dev server tree, if any; returns whether there was one. */
  private static boolean killService(DraftApp app) {
    SandboxService service = app.service;
    app.service = null; // first, so the exit is not taken for a crash
    if (service == null) {
      return false;
    }
    service.close();
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

  private DraftStatus snapshot(DraftApp app) {
    DraftState state = app.state;
    SandboxService service = app.service;
    Optional<String> url = state == DraftState.RUNNING && service != null ? Optional.of(previewUrl(service)) : Optional.empty();
    return new DraftStatus(app.appId, state, url, app.log.lines(), Optional.ofNullable(app.error), app.restarts, app.since);
  }

  /** The endpoint with the preview path: what the UI opens and what readiness asks. */
  private String previewUrl(SandboxService service) {
    String url = service.endpoint().toString();
    return (url.endsWith("/") ? url : url + "/") + previewPath.substring(1);
  }

  /** The exit code of a service that ended (its process may take a moment to be reaped). */
  private static int exitCode(SandboxService service) {
    try {
      return service.exited().get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * A port free on the host's loopback. Only needed where the sandbox shares the host's network
   * (an unisolated sandbox), so two apps' servers cannot both take the default port.
   */
  private static int freeHostPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new SandboxException("no free port on " + HOST + ": " + e.getMessage(), e);
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
    /** {@link #secretsHash} of what the running server was started with. */
    volatile String secretsHash = "";
    /** Set when the last install linked node_modules from the dependency cache. */
    volatile Optional<LinkedFrom> linkedFrom = Optional.empty();
    volatile SandboxService service;
    volatile StatusListener listener = StatusListener.NONE;

    /** Where the app's processes see its root: removed from what the log and errors show. */
    volatile Optional<String> processRoot = Optional.empty();

    /** Adds a line of a process's output with the app's root removed from paths. */
    void addLog(String line) {
      log.add(relativize(line));
    }

    /** {@code /srv/app/src/a.js} and {@code file:///srv/app/src/a.js} as {@code src/a.js}; the root alone as {@code .}. */
    String relativize(String text) {
      Optional<String> root = processRoot;
      if (root.isEmpty() || root.get().length() < 2 || text.indexOf(root.get()) < 0) {
        return text;
      }
      String r = root.get().endsWith("/") ? root.get().substring(0, root.get().length() - 1) : root.get();
      String out = text.replace("file://" + r + "/", "").replace(r + "/", "");
      return out.replaceAll(Pattern.quote(r) + "(?![\\w.-])", ".");
    }

    DraftApp(String appId, int logLines, Instant now) {
      this.appId = appId;
      this.log = new LogTail(logLines);
      this.since = now;
      this.lastAccess = now;
    }
  }

  /** Builds a {@link ViteDraftRuntime}. */
  public static final class Builder {
    private final SandboxProvider sandboxes;
    private Optional<Path> installStateDirectory = Optional.empty();
    private Optional<DependencyCache> dependencyCache = Optional.empty();
    private java.util.function.Function<Sandbox, Optional<Path>> hostRoots = s -> Optional.empty();
    private final List<String> installScripts = new ArrayList<>();
    private int servicePort = 5173;
    private Duration idleTimeout = Duration.ofMinutes(15);
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration installTimeout = Duration.ofMinutes(10);
    private int maxRestarts = 3;
    private int logLines = 200;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Optional<Duration> pollInterval = Optional.empty();
    private String previewPath = "/";
    private Optional<io.chatbuilder.core.secrets.AppSecrets> secrets = Optional.empty();
    private java.util.function.Predicate<String> exposedSecrets = name -> name.startsWith("VITE_");
    private Clock clock = Clock.systemUTC();
    private boolean diagnostics = true;
    private int maxDiagnostics = 100;
    private long maxDiagnosticBytes = 256 * 1024;

    private Builder(SandboxProvider sandboxes) {
      this.sandboxes = Objects.requireNonNull(sandboxes, "sandboxes == null");
    }

    /**
     * Keeps the record of what was installed for each app in this directory too, so a restarted
     * host does not reinstall every app on its first start. It must not lie inside any app's
     * directory (the app's code must not be able to write it). Default: in memory only.
     */
    public Builder installStateDirectory(Path directory) {
      this.installStateDirectory = Optional.of(Objects.requireNonNull(directory, "directory == null").toAbsolutePath().normalize());
      return this;
    }

    /**
     * Installs dependencies by linking them from {@code cache} ({@link DependencyCache}) instead of
     * running npm, where the app's lockfile is in step with its package.json; otherwise, and
     * whenever the cache is missing, damaged or cannot serve the app, npm installs as without it
     * (a status says why). {@code hostRoot} gives an app sandbox's directory on this host (with
     * sandbox-local: {@code s -> Optional.of(((LocalSandbox) s).root())}); it must be on the cache's
     * file system. Not used while install scripts are allowed ({@link #allowInstallScripts}).
     */
    public Builder dependencyCache(DependencyCache cache, java.util.function.Function<Sandbox, Optional<Path>> hostRoot) {
      this.dependencyCache = Optional.of(Objects.requireNonNull(cache, "cache == null"));
      this.hostRoots = Objects.requireNonNull(hostRoot, "hostRoot == null");
      return this;
    }

    /**
     * Lets these packages' install scripts run after each install ({@code npm rebuild <package>},
     * inside the sandbox like everything else). Installs run with {@code --ignore-scripts}; the
     * default allowlist is empty. The app's own {@code preinstall}/{@code postinstall} never run.
     */
    public Builder allowInstallScripts(String... packages) {
      installScripts.addAll(Settings.packageNames(packages));
      return this;
    }

    /** The TCP port Vite listens on inside the sandbox (default 5173); the host uses the endpoint. */
    public Builder servicePort(int port) {
      if (port < 1024 || port > 65535) {
        throw new IllegalArgumentException("servicePort must be in 1024..65535");
      }
      this.servicePort = port;
      return this;
    }

    /** A server without start/status calls for this long is stopped (default 15 minutes). */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Settings.positive(idleTimeout, "idleTimeout");
      return this;
    }

    /**
     * How long a server may take to answer HTTP after it is launched (default 60 s); after that its
     * process tree is killed (e.g. a {@code vite.config.js} that never returns).
     */
    public Builder startTimeout(Duration startTimeout) {
      this.startTimeout = Settings.positive(startTimeout, "startTimeout");
      return this;
    }

    /** How long one npm install may take (default 10 minutes; the sandbox policy's maximum applies). */
    public Builder installTimeout(Duration installTimeout) {
      this.installTimeout = Settings.positive(installTimeout, "installTimeout");
      return this;
    }

    /**
     * The path of the preview (default {@code /}): the draft is ready when it answers with a
     * success (2xx, after same-origin redirects; a redirect elsewhere counts as an answer), and the
     * preview URL ends with it. For apps whose {@code /} is not a page (e.g. {@code /app/} with
     * Vite's {@code base}). A path with a query is allowed; a fragment, {@code ..}, {@code //} or
     * control characters are not.
     */
    public Builder previewPath(String path) {
      this.previewPath = Settings.previewPath(path);
      return this;
    }

    /**
     * The store of the apps' secrets. The dev server gets those {@code exposed} lets through
     * (default: names starting with {@code VITE_}, which Vite puts into {@code import.meta.env}; a
     * wider predicate also gives {@code vite.config.*} others through {@code process.env}). They
     * go into the process's environment only, never into a file of the app. A changed secret
     * restarts a running server at the next {@link ViteDraftRuntime#start}.
     */
    public Builder secrets(io.chatbuilder.core.secrets.AppSecrets secrets, java.util.function.Predicate<String> exposed) {
      this.secrets = Optional.of(Objects.requireNonNull(secrets, "secrets == null"));
      this.exposedSecrets = Objects.requireNonNull(exposed, "exposed == null");
      return this;
    }

    /** {@link #secrets(io.chatbuilder.core.secrets.AppSecrets, java.util.function.Predicate)} with the {@code VITE_*} ones exposed. */
    public Builder secrets(io.chatbuilder.core.secrets.AppSecrets secrets) {
      return secrets(secrets, name -> name.startsWith("VITE_"));
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
     * Adds a variable to the dev server's environment (on top of what the sandbox sets). npm's
     * settings (registry, cache, proxy) belong to the sandbox's environment, not here.
     */
    public Builder environment(String name, String value) {
      Settings.environmentName(name);
      environment.put(name, Objects.requireNonNull(value, "value == null"));
      return this;
    }

    /**
     * Makes Vite notice file changes by polling their status every {@code interval} with its own
     * watcher (chokidar), instead of the default: the operating system's file events read by the
     * dev server script's directory watcher ({@code preview/dev-server.cjs}), which sees atomic
     * replacements, deletes and directory renames without polling. Polling costs CPU in proportion
     * to the number of source files (about a fifth of a core at 2,000 files every 100 ms).
     */
    public Builder pollFileChanges(Duration interval) {
      this.pollInterval = Optional.of(Settings.positive(interval, "interval"));
      return this;
    }

    /**
     * Uses the operating system's file events (the default; undoes {@link #pollFileChanges}).
     */
    public Builder nativeFileEvents() {
      this.pollInterval = Optional.empty();
      return this;
    }

    /**
     * Whether the preview reports its errors ({@link ViteDraftRuntime#diagnostics}; default on). Off,
     * the dev server script runs without its diagnostics plugin; the preview keeps its
     * Content-Security-Policy, nosniff, source tags and select mode.
     */
    public Builder previewDiagnostics(boolean on) {
      this.diagnostics = on;
      return this;
    }

    /** Distinct diagnostics kept per app (default 100); the least recently seen go first. */
    public Builder maxDiagnostics(int entries) {
      if (entries < 1 || entries > 10_000) {
        throw new IllegalArgumentException("maxDiagnostics must be in 1..10000");
      }
      this.maxDiagnostics = entries;
      return this;
    }

    /** Approximate bytes of diagnostics kept per app (default 256 KiB, at least 16 KiB). */
    public Builder maxDiagnosticBytes(long bytes) {
      if (bytes < 16 * 1024 || bytes > 64L * 1024 * 1024) {
        throw new IllegalArgumentException("maxDiagnosticBytes must be in 16 KiB..64 MiB");
      }
      this.maxDiagnosticBytes = bytes;
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
