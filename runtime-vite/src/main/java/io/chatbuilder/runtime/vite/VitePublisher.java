package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.Revision;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publish mode: a deterministic {@code vite build} of one checkpoint's files, run inside a sandbox.
 *
 * <p>Each publish gets a fresh directory {@code <publishes>/<appId>/<publishId>/}: the checkpoint's
 * revision is written from the {@link CheckpointStore} into {@code work/} (never from the draft's
 * working files), then a sandbox the host's {@link BuildSandboxes} opens on {@code work/} runs
 * {@code npm ci --ignore-scripts} from its lockfile and {@code vite build} (the app's
 * {@code vite.config.js} is app code: it runs only there). The build gets a fixed environment
 * through node's {@code --env-file}: {@code SOURCE_DATE_EPOCH} from the checkpoint, and
 * {@code TZ=UTC}, {@code LC_ALL=C}, {@code LANG=C} unless the sandbox's own environment sets them.
 * The output lands in {@code dist/} (refused if it holds a symbolic link), the log in
 * {@code build.log}, the record in {@code publish.json} (so a restarted host lists past publishes),
 * and {@code work/} is deleted. The same revision gives a byte-identical {@code dist/}, hence the
 * same {@link PublishResult#manifestHash()}.
 *
 * <pre>{@code
 * VitePublisher publisher = VitePublisher.builder(Path.of("var/publishes"),
 *         (appId, dir) -> LocalSandbox.builder(dir).id(appId + "-publish").build())
 *     .build();
 * PublishResult result = chatBuilder.publish("shop", checkpointId, message -> ui.status(message));
 * }</pre>
 *
 * Thread-safe; publishes of the same app may run at the same time.
 */
public final class VitePublisher implements Publisher {
  private static final Logger log = LoggerFactory.getLogger(VitePublisher.class);
  static final String RECORD = "publish.json";
  static final String BUILD_LOG = "build.log";
  static final String OUTPUT = "dist";
  private static final String WORK = "work";
  /** The build's fixed environment, read by node's --env-file; an excluded name, so no checkpoint holds it. */
  static final String BUILD_ENV = ".chatbuilder/build.env";

  private final Path publishesDir;
  private final BuildSandboxes buildSandboxes;
  private final Npm npm;
  private final Duration buildTimeout;
  private final int maxLogChars;
  private final Map<String, String> extraEnvironment;
  private final Clock clock;
  private final PublishRecords records;
  private final SecureRandom random = new SecureRandom();
  private static final io.chatbuilder.core.json.JsonCodec JSON = new io.chatbuilder.core.json.JsonCodec();
  /** The app's secrets the build gets: the command's environment (a sandbox passes VITE_* ones only). */
  private final Optional<io.chatbuilder.core.secrets.AppSecrets> secrets;
  private final java.util.function.Predicate<String> exposedSecrets;
  private final Map<String, Map<String, PublishResult>> results = new ConcurrentHashMap<>();

  private VitePublisher(Builder b) {
    this.publishesDir = b.publishesDir;
    this.buildSandboxes = b.buildSandboxes;
    this.npm = new Npm(b.installTimeout, b.installScripts);
    this.buildTimeout = b.buildTimeout;
    this.maxLogChars = b.maxLogChars;
    this.extraEnvironment = Map.copyOf(b.environment);
    this.secrets = b.secrets;
    this.exposedSecrets = b.exposedSecrets;
    this.clock = b.clock;
    this.records = new PublishRecords();
    try {
      Files.createDirectories(publishesDir);
    } catch (IOException e) {
      throw new SandboxException("cannot create the publishes directory " + publishesDir + ": " + e.getMessage(), e);
    }
    loadRecords();
  }

  /**
   * A builder; every publish goes to a new directory under {@code publishesDir}, and its npm and
   * Vite run in the sandbox {@code buildSandboxes} opens on it.
   */
  public static Builder builder(Path publishesDir, BuildSandboxes buildSandboxes) {
    return new Builder(publishesDir, buildSandboxes);
  }

  /**
   * Builds the checkpoint's revision. Build failures (npm, Vite, a checkpoint without a lockfile or
   * with a hostile path) give a result with {@code success == false} and the error.
   *
   * @throws io.chatbuilder.core.NotFoundException if the store lacks the revision or a blob
   * @throws InvalidArgumentException if the checkpoint belongs to another app
   */
  @Override
  public PublishResult publish(String appId, Checkpoint checkpoint, CheckpointStore store, StatusListener hostListener) {
    Settings.checkAppId(appId);
    Objects.requireNonNull(checkpoint, "checkpoint == null");
    Objects.requireNonNull(store, "store == null");
    StatusListener listener = Settings.safe(hostListener, log);
    if (!checkpoint.appId().equals(appId)) {
      throw new InvalidArgumentException("checkpoint " + checkpoint.id() + " belongs to app " + checkpoint.appId() + ", not " + appId);
    }
    String publishId = newPublishId();
    Instant startedAt = clock.instant();
    long t0 = System.nanoTime();
    Path dir = publishesDir.resolve(appId).resolve(publishId);
    Path work = dir.resolve(WORK);
    SortedMap<String, String> manifest = new TreeMap<>();
    String manifestHash = "";
    Optional<String> error = Optional.empty();
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir);
      Files.createDirectory(work);
      work = work.toRealPath(); // the sandbox reports paths under the real one
    } catch (IOException e) {
      throw new SandboxException("cannot create the publish directory " + dir + ": " + e.getMessage(), e);
    }
    BuildLog buildLog = new BuildLog(maxLogChars, work);
    try {
      long epoch = checkpoint.createdAt().getEpochSecond();
      Revision revision = store.revision(checkpoint.resultRevisionId());
      listener.onStatus("preparing " + revision.files().size() + " files of checkpoint " + checkpoint.id());
      buildLog.add("[chatbuilder] publish " + publishId + " of app " + appId + ", checkpoint " + checkpoint.id()
          + ", revision " + revision.id() + ", SOURCE_DATE_EPOCH=" + epoch);
      materialize(revision, store, work, epoch);
      writeBuildEnvironment(work, epoch);
      build(appId, work, buildLog, listener);
      Path built = work.resolve(OUTPUT);
      if (!Files.isDirectory(built, LinkOption.NOFOLLOW_LINKS)) {
        throw new StepFailure("vite build produced no " + OUTPUT + "/ directory");
      }
      Files.move(built, dir.resolve(OUTPUT));
      manifest = Manifests.of(dir.resolve(OUTPUT));
      manifestHash = Manifests.hash(manifest);
      buildLog.add("[chatbuilder] " + manifest.size() + " files, manifest sha256 " + manifestHash);
    } catch (StepFailure e) {
      error = Optional.of(e.getMessage());
      buildLog.add("[chatbuilder] publish failed: " + e.getMessage());
    } catch (IOException e) {
      error = Optional.of("cannot write the build files: " + e.getMessage());
      buildLog.add("[chatbuilder] " + error.get());
    } catch (RuntimeException e) {
      deleteTree(dir); // the store failed (unknown revision...): there is no publish to record
      throw e;
    } finally {
      deleteTree(work); // node_modules is large; the output is kept
    }
    boolean success = error.isEmpty();
    if (!success) {
      deleteTree(dir.resolve(OUTPUT)); // e.g. refused for a symbolic link: nothing of it is served
    }
    PublishResult result = new PublishResult(publishId, appId, checkpoint.id(), checkpoint.resultRevisionId(), success,
        success ? manifest : new TreeMap<>(), success ? manifestHash : "", buildLog.text(), error,
        success ? Optional.of(dir.resolve(OUTPUT).toString()) : Optional.empty(), startedAt,
        Duration.ofNanos(System.nanoTime() - t0));
    records.write(dir, result);
    results.computeIfAbsent(appId, k -> new ConcurrentHashMap<>()).put(publishId, result);
    listener.onStatus(success
        ? "published " + manifest.size() + " files (manifest " + manifestHash.substring(0, 12) + ")"
        : "publish failed: " + firstLine(error.get()));
    return result;
  }

  @Override
  public Optional<PublishResult> find(String appId, String publishId) {
    Settings.checkAppId(appId);
    Objects.requireNonNull(publishId, "publishId == null");
    Map<String, PublishResult> byId = results.get(appId);
    return byId == null ? Optional.empty() : Optional.ofNullable(byId.get(publishId));
  }

  @Override
  public List<PublishResult> list(String appId, int limit) {
    Settings.checkAppId(appId);
    if (limit < 0) {
      throw new InvalidArgumentException("limit must be >= 0");
    }
    Map<String, PublishResult> byId = results.getOrDefault(appId, Map.of());
    return byId.values().stream()
        .sorted(Comparator.comparing(PublishResult::startedAt).thenComparing(PublishResult::publishId).reversed())
        .limit(limit)
        .toList();
  }

  // ------------------------------------------------------------------ internals

  /**
   * npm ci (npm install for a checkpoint without a lockfile) and the app's build script, else
   * vite build, in a sandbox on {@code work}; closed (every process killed) before the output is read.
   */
  private void build(String appId, Path work, BuildLog buildLog, StatusListener listener) {
    Cancellation cancellation = new Cancellation();
    Optional<String> script = buildScript(work);
    try (Sandbox sandbox = Objects.requireNonNull(buildSandboxes.open(appId, work), "build sandbox == null")) {
      install(sandbox, work, buildLog, listener, cancellation);
      npm.runAllowedScripts(sandbox, buildLog::add, listener, cancellation);

      List<String> argv;
      String step;
      if (script.isPresent()) {
        step = "the build script";
        listener.onStatus("building (npm run build: " + oneLine(script.get()) + ")");
        buildLog.add("[chatbuilder] build script: " + oneLine(script.get()));
        argv = List.of("node", "--env-file=" + BUILD_ENV, "-e", RunBuildScript.EVAL);
      } else {
        step = "vite build";
        listener.onStatus("building (vite build)");
        buildLog.add("[chatbuilder] vite build");
        argv = List.of("node", "--env-file=" + BUILD_ENV, Npm.VITE_BIN, "build", "--outDir", OUTPUT);
      }
      LogTail buildTail = new LogTail(200);
      Lines lines = new Lines(line -> {
        buildTail.add(buildLog.relativize(line));
        buildLog.add(line);
      });
      CommandResult build;
      try {
        build = sandbox.run(new CommandRequest(argv, "", secretEnvironment(appId), Optional.of(buildTimeout)), lines, cancellation);
      } finally {
        lines.flush();
      }
      if (!build.succeeded()) {
        String output = String.join("\n", buildTail.lines());
        if (Npm.missingModule(output) && output.contains(Npm.VITE_BIN)) {
          throw new StepFailure("vite is not installed: add \"vite\" to the devDependencies of package.json");
        }
        throw new StepFailure(build.timedOut()
            ? step + " took longer than " + buildTimeout.toSeconds() + " s and was stopped"
            : step + " failed (exit code " + build.exitCode() + "): " + buildError(buildTail));
      }
    }
  }

  private Map<String, String> secretEnvironment(String appId) {
    if (secrets.isEmpty()) {
      return Map.of();
    }
    Map<String, String> out = new TreeMap<>();
    secrets.get().values(appId).forEach((name, value) -> {
      if (exposedSecrets.test(name)) {
        out.put(name, value);
      }
    });
    return out;
  }

  /**
   * Installs exactly the checkpoint's lockfile ({@code npm ci}); a checkpoint without one (an app
   * from a template without a lockfile that never ran) gets one resolved by {@code npm install}.
   */
  private void install(Sandbox sandbox, Path work, BuildLog buildLog, StatusListener listener, Cancellation cancellation) {
    boolean locked = Files.isRegularFile(work.resolve(Lockfiles.LOCKFILE), LinkOption.NOFOLLOW_LINKS);
    String verb = locked ? "ci" : "install";
    listener.onStatus(locked ? "installing dependencies (npm ci)"
        : "the checkpoint has no package-lock.json: resolving dependencies (npm install)");
    buildLog.add("[chatbuilder] npm " + verb);
    Npm.Output npmOutput = new Npm.Output(buildLog::add);
    CommandResult result = locked ? npm.ci(sandbox, npmOutput, cancellation) : npm.install(sandbox, npmOutput, cancellation);
    if (!result.succeeded()) {
      if (result.timedOut()) {
        throw new StepFailure("npm " + verb + " took longer than allowed and was stopped");
      }
      String why = buildLog.relativize(npmOutput.error());
      throw new StepFailure(npmOutput.outOfSync
          ? "the checkpoint's package-lock.json does not match its package.json (npm ci refuses it): " + why
          : "npm " + verb + " failed (exit code " + result.exitCode() + "): " + why);
    }
  }

  /**
   * package.json's "build" script when it does more than {@code vite build} (e.g.
   * {@code tsc -b && vite build}); read on the host as text, it runs only in the build's sandbox.
   */
  static Optional<String> buildScript(Path work) {
    try {
      com.fasterxml.jackson.databind.JsonNode pkg = JSON.read(Files.readAllBytes(work.resolve(Lockfiles.MANIFEST)));
      com.fasterxml.jackson.databind.JsonNode build = pkg.path("scripts").path("build");
      if (!build.isTextual() || build.asText().isBlank() || build.asText().strip().equals("vite build")) {
        return Optional.empty(); // plain "vite build" runs as Vite's command, without a shell
      }
      return Optional.of(build.asText());
    } catch (IOException | io.chatbuilder.core.InvalidArgumentException e) {
      throw new StepFailure("package.json of the checkpoint is not valid JSON: " + firstLine(String.valueOf(e.getMessage())));
    }
  }

  private static String oneLine(String s) {
    String line = s.replace('\n', ' ').replace('\r', ' ').strip();
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  /** The build script's runner, loaded once. */
  static final class RunBuildScript {
    static final String EVAL = NodeScripts.evalArgument(NodeScripts.load("publish/run-build.cjs"));

    private RunBuildScript() {}
  }

  /** The variables the build gets through node's --env-file (the sandbox passes no others of ours). */
  private void writeBuildEnvironment(Path work, long epoch) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SOURCE_DATE_EPOCH", Long.toString(epoch));
    env.put("TZ", "UTC");
    env.put("LC_ALL", "C");
    env.put("LANG", "C");
    env.putAll(extraEnvironment);
    StringBuilder text = new StringBuilder();
    env.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Path file = work.resolve(BUILD_ENV);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text.toString(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Writes the revision's files; their times are the checkpoint's so nothing depends on when. */
  private static void materialize(Revision revision, CheckpointStore store, Path work, long epoch) throws IOException {
    Exclusions exclusions = Exclusions.defaults();
    FileTime time = FileTime.from(Instant.ofEpochSecond(epoch));
    for (Map.Entry<String, FileRef> e : revision.files().entrySet()) {
      String path = e.getKey();
      String normalized;
      try {
        normalized = SandboxPaths.normalize(path);
      } catch (PathRefusedException refused) {
        throw new StepFailure("the checkpoint holds a path that cannot be built: " + refused.getMessage());
      }
      if (!normalized.equals(path)) {
        throw new StepFailure("the checkpoint holds a path that is not normalized: '" + path + "'");
      }
      if (exclusions.isExcluded(path)) {
        continue; // node_modules, dist...: regenerated by the build
      }
      Path target = work.resolve(path).normalize();
      if (!target.startsWith(work)) {
        throw new StepFailure("the checkpoint holds a path outside the build directory: '" + path + "'");
      }
      Files.createDirectories(target.getParent());
      Files.write(target, store.readBlob(e.getValue().blobId()));
      Files.setLastModifiedTime(target, time);
    }
    if (!revision.files().containsKey(Lockfiles.MANIFEST)) {
      throw new StepFailure("the checkpoint has no package.json: there is nothing to install or build");
    }
  }

  /**
   * Compiler diagnostics: tsc and vue-tsc ({@code src/a.ts(3,7): error TS2322: …}, also with
   * {@code --pretty}), svelte-check ({@code Error: …} after the file, or its machine format), esbuild.
   */
  private static final java.util.regex.Pattern COMPILER_ERROR = java.util.regex.Pattern.compile(
      "error TS\\d+|^Error: |^✘ \\[ERROR\\]|\\bERROR \"[^\"]+\" \\d+:\\d+");

  /**
   * What went wrong, as the tool said it: Vite's message after "error during build:" (without the
   * stack), else the compiler's error lines (a type error of {@code tsc -b}), else the last lines.
   */
  static String buildError(LogTail output) {
    List<String> lines = output.lines();
    List<String> message = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("error during build")) {
        for (int j = i + 1; j < lines.size() && message.size() < 8; j++) {
          String line = lines.get(j);
          if (line.stripLeading().startsWith("at ")) {
            break;
          }
          if (!line.isBlank()) {
            message.add(line.strip());
          }
        }
        break;
      }
    }
    if (message.isEmpty()) {
      for (String line : lines) {
        if (message.size() < 12 && COMPILER_ERROR.matcher(line.strip()).find()) {
          message.add(line.strip());
        }
      }
    }
    if (message.isEmpty()) {
      message = lines.subList(Math.max(0, lines.size() - 10), lines.size());
    }
    return String.join("\n", message);
  }

  private void loadRecords() {
    List<Path> appDirs;
    try (Stream<Path> s = Files.list(publishesDir)) {
      appDirs = s.filter(Files::isDirectory).toList();
    } catch (IOException e) {
      throw new SandboxException("cannot list " + publishesDir + ": " + e.getMessage(), e);
    }
    for (Path appDir : appDirs) {
      List<Path> dirs;
      try (Stream<Path> s = Files.list(appDir)) {
        dirs = s.filter(Files::isDirectory).toList();
      } catch (IOException e) {
        log.warn("cannot list publishes in {}: {}", appDir, e.toString());
        continue;
      }
      for (Path dir : dirs) {
        records.read(dir).ifPresent(r -> results.computeIfAbsent(r.appId(), k -> new ConcurrentHashMap<>()).put(r.publishId(), r));
      }
    }
  }

  private String newPublishId() {
    byte[] bytes = new byte[5];
    random.nextBytes(bytes);
    return "pub_" + Long.toString(clock.millis(), 36) + HexFormat.of().formatHex(bytes);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      log.warn("cannot delete {}: {}", root, e.toString());
    }
  }

  /**
   * The build's output, capped (the start is dropped first), with the build directory's path
   * removed so logs are the same wherever the build ran.
   */
  static final class BuildLog {
    private final int maxChars;
    private final String workPrefix;
    private final StringBuilder text = new StringBuilder();
    private long dropped;

    BuildLog(int maxChars, Path work) {
      this.maxChars = maxChars;
      this.workPrefix = work.toAbsolutePath().toString() + "/";
    }

    String relativize(String line) {
      return line.replace("file://" + workPrefix, "").replace(workPrefix, "");
    }

    synchronized void add(String line) {
      text.append(LogTail.clean(relativize(line))).append('\n');
      if (text.length() > maxChars) {
        int cut = text.length() - maxChars;
        int nl = text.indexOf("\n", cut);
        cut = nl < 0 ? cut : nl + 1;
        text.delete(0, cut);
        dropped += cut;
      }
    }

    synchronized String text() {
      return dropped == 0 ? text.toString() : "[… " + dropped + " earlier characters dropped …]\n" + text;
    }
  }

  /** Builds a {@link VitePublisher}. */
  public static final class Builder {
    private final Path publishesDir;
    private final BuildSandboxes buildSandboxes;
    private final List<String> installScripts = new ArrayList<>();
    private Duration installTimeout = Duration.ofMinutes(10);
    private Duration buildTimeout = Duration.ofMinutes(10);
    private int maxLogChars = 256 * 1024;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private Optional<io.chatbuilder.core.secrets.AppSecrets> secrets = Optional.empty();
    private java.util.function.Predicate<String> exposedSecrets = name -> name.startsWith("VITE_");

    private Builder(Path publishesDir, BuildSandboxes buildSandboxes) {
      this.publishesDir = Objects.requireNonNull(publishesDir, "publishesDir == null").toAbsolutePath().normalize();
      this.buildSandboxes = Objects.requireNonNull(buildSandboxes, "buildSandboxes == null");
    }

    /**
     * Lets these packages' install scripts run after {@code npm ci} ({@code npm rebuild <package>},
     * inside the build's sandbox). Default: none; the app's own lifecycle scripts never run.
     */
    public Builder allowInstallScripts(String... packages) {
      installScripts.addAll(Settings.packageNames(packages));
      return this;
    }

    /** How long {@code npm ci} may take (default 10 minutes). */
    public Builder installTimeout(Duration installTimeout) {
      this.installTimeout = Settings.positive(installTimeout, "installTimeout");
      return this;
    }

    /** How long {@code vite build} may take (default 10 minutes). */
    public Builder buildTimeout(Duration buildTimeout) {
      this.buildTimeout = Settings.positive(buildTimeout, "buildTimeout");
      return this;
    }

    /** Characters of build output kept in the result (default 256 KiB; the start is dropped first). */
    public Builder maxLogChars(int maxLogChars) {
      if (maxLogChars < 1024) {
        throw new IllegalArgumentException("maxLogChars must be >= 1024");
      }
      this.maxLogChars = maxLogChars;
      return this;
    }

    /**
     * Adds a variable to the fixed environment of {@code vite build} (e.g. a {@code VITE_*} setting).
     * Added deliberately, so it is part of what a build depends on. npm's settings (registry,
     * cache) belong to the build sandbox's environment.
     */
    public Builder environment(String name, String value) {
      Settings.environmentName(name);
      Objects.requireNonNull(value, "value == null");
      if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("environment values of a build must be one line: " + name);
      }
      environment.put(name, value);
      return this;
    }

    /**
     * The store of the apps' secrets: the build command gets those {@code exposed} lets through
     * (default {@code VITE_*}; the sandbox's command policy passes no others), in its environment
     * only: never in a file of the build directory, the build log or the publish record. A secret
     * Vite inlines into the page (any {@code import.meta.env.VITE_*} the code reads) is in
     * {@code dist/}, as with Vite itself, so its value is part of the manifest.
     */
    public Builder secrets(io.chatbuilder.core.secrets.AppSecrets secrets, java.util.function.Predicate<String> exposed) {
      this.secrets = Optional.of(Objects.requireNonNull(secrets, "secrets == null"));
      this.exposedSecrets = Objects.requireNonNull(exposed, "exposed == null");
      return this;
    }

    public Builder secrets(io.chatbuilder.core.secrets.AppSecrets secrets) {
      return secrets(secrets, name -> name.startsWith("VITE_"));
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock == null");
      return this;
    }

    public VitePublisher build() {
      return new VitePublisher(this);
    }
  }
}
