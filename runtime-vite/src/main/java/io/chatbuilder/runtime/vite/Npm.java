package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Installs an app's dependencies with npm from its lockfile, inside the app's sandbox. Lifecycle
 * scripts are off ({@code --ignore-scripts}); the packages of {@link #scriptAllowlist} get theirs
 * run afterwards with {@code npm rebuild}, still inside the sandbox. Where the npm cache lives and
 * which registry npm reaches is the sandbox's business (its environment and network policy).
 */
final class Npm {
  /** Where Vite's command-line entry lies in an installed app; run with the system's node. */
  static final String VITE_BIN = "node_modules/vite/bin/vite.js";
  private static final List<String> COMMON_FLAGS =
      List.of("--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--no-update-notifier");

  private final Duration timeout;
  private final List<String> scriptAllowlist;

  Npm(Duration timeout, List<String> scriptAllowlist) {
    this.timeout = timeout;
    this.scriptAllowlist = List.copyOf(scriptAllowlist);
  }

  List<String> scriptAllowlist() {
    return scriptAllowlist;
  }

  static List<String> argv(String verb) {
    List<String> argv = new ArrayList<>(List.of("npm", verb));
    argv.addAll(COMMON_FLAGS);
    return argv;
  }

  /**
   * {@code npm rebuild <allowlisted...>} with scripts on: runs the install scripts of exactly these
   * packages (never the app's own {@code preinstall}/{@code postinstall}).
   */
  List<String> rebuildArgv() {
    List<String> argv = new ArrayList<>(List.of("npm", "rebuild", "--ignore-scripts=false", "--no-audit", "--no-fund",
        "--no-update-notifier", "--foreground-scripts"));
    argv.addAll(scriptAllowlist);
    return argv;
  }

  /** {@code npm ci}: exactly the lockfile, into a fresh node_modules. */
  CommandResult ci(Sandbox sandbox, Consumer<String> output, Cancellation cancellation) {
    return run(sandbox, argv("ci"), output, cancellation);
  }

  /** {@code npm install}: resolves package.json and rewrites package-lock.json to match. */
  CommandResult install(Sandbox sandbox, Consumer<String> output, Cancellation cancellation) {
    return run(sandbox, argv("install"), output, cancellation);
  }

  /**
   * Makes package-lock.json match package.json (or creates it) without touching node_modules:
   * {@code npm install --package-lock-only}, when {@link Lockfiles#inSync} says it does not.
   * Returns whether npm ran.
   *
   * @throws StepFailure if npm fails
   */
  boolean syncLockfile(Sandbox sandbox, Consumer<String> output, StatusListener listener, Cancellation cancellation) {
    Optional<byte[]> manifest;
    Optional<byte[]> lock;
    try {
      manifest = sandbox.tryRead(Lockfiles.MANIFEST).map(c -> c.bytes());
      lock = sandbox.tryRead(Lockfiles.LOCKFILE).map(c -> c.bytes());
    } catch (TooLargeException e) {
      throw new StepFailure("package.json or package-lock.json is too large to install from: " + e.getMessage());
    }
    if (manifest.isEmpty() || Lockfiles.inSync(manifest.get(), lock)) {
      return false;
    }
    listener.onStatus(lock.isEmpty()
        ? "no package-lock.json: resolving dependencies to create it (npm install --package-lock-only)"
        : "package.json changed: updating package-lock.json (npm install --package-lock-only)");
    List<String> argv = argv("install");
    argv.add("--package-lock-only");
    Output out = new Output(output);
    CommandResult result = run(sandbox, argv, out, cancellation);
    if (result.cancelled()) {
      throw new StepFailure("updating package-lock.json was cancelled");
    }
    if (!result.succeeded()) {
      throw new StepFailure(result.timedOut()
          ? "updating package-lock.json took longer than " + timeout.toSeconds() + " s and was stopped"
          : "updating package-lock.json failed (npm exit code " + result.exitCode() + "): " + out.error());
    }
    return true;
  }

  private CommandResult run(Sandbox sandbox, List<String> argv, Consumer<String> output, Cancellation cancellation) {
    Lines lines = new Lines(output);
    try {
      return sandbox.run(new CommandRequest(argv, "", Map.of(), Optional.of(timeout)), lines, cancellation);
    } finally {
      lines.flush();
    }
  }

  /**
   * Runs the install scripts of the allowlisted packages; nothing when the allowlist is empty.
   *
   * @throws StepFailure if a script fails
   */
  void runAllowedScripts(Sandbox sandbox, Consumer<String> output, StatusListener listener, Cancellation cancellation) {
    if (scriptAllowlist.isEmpty()) {
      return;
    }
    listener.onStatus("running the install scripts of " + String.join(", ", scriptAllowlist) + " (npm rebuild)");
    Output out = new Output(output);
    CommandResult result = run(sandbox, rebuildArgv(), out, cancellation);
    if (!result.succeeded()) {
      throw new StepFailure(result.timedOut()
          ? "install scripts took longer than " + timeout.toSeconds() + " s and were stopped"
          : "the install scripts of " + String.join(", ", scriptAllowlist) + " failed (npm exit code "
              + result.exitCode() + "): " + out.error());
    }
  }

  /**
   * Hash of what decides the installed dependencies: package.json and package-lock.json, read
   * through the sandbox (so a symlink planted by the app cannot make it read outside).
   *
   * @throws StepFailure if a file is larger than the sandbox lets the runtime read
   */
  static String dependencyHash(Sandbox sandbox) {
    List<Optional<byte[]>> contents = new ArrayList<>();
    for (String name : List.of("package.json", "package-lock.json")) {
      try {
        contents.add(sandbox.tryRead(name).map(c -> c.bytes()));
      } catch (TooLargeException e) {
        throw new StepFailure(name + " is too large to install from: " + e.getMessage());
      }
    }
    return dependencyHash(contents.get(0), contents.get(1));
  }

  /** {@link #dependencyHash(Sandbox)} of the two files' contents. */
  static String dependencyHash(Optional<byte[]> manifest, Optional<byte[]> lock) {
    MessageDigest md = ContentHash.newSha256();
    List<String> names = List.of("package.json", "package-lock.json");
    List<Optional<byte[]>> contents = List.of(manifest, lock);
    for (int i = 0; i < 2; i++) {
      md.update(names.get(i).getBytes(StandardCharsets.UTF_8));
      Optional<byte[]> content = contents.get(i);
      if (content.isPresent()) {
        byte[] bytes = content.get();
        md.update((byte) 1);
        md.update(Long.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(bytes);
      } else {
        md.update((byte) 0);
      }
    }
    return ContentHash.hex(md.digest());
  }

  /**
   * Installs with {@code npm ci}; when the agent edited package.json without updating the lockfile
   * (npm ci refuses: "not in sync"), or there is no lockfile, {@code npm install} updates it. Then
   * runs the allowlisted packages' install scripts.
   *
   * @throws StepFailure if npm fails
   */
  void install(Sandbox sandbox, Consumer<String> output, StatusListener listener, Cancellation cancellation) {
    boolean hasLock = sandbox.tryRead("package-lock.json").isPresent();
    Output out = new Output(output);
    CommandResult result;
    if (hasLock) {
      listener.onStatus("installing dependencies (npm ci)");
      result = ci(sandbox, out, cancellation);
      if (!result.succeeded() && !result.timedOut() && !result.cancelled() && out.outOfSync) {
        listener.onStatus("package.json changed: updating package-lock.json (npm install)");
        out = new Output(output);
        result = install(sandbox, out, cancellation);
      }
    } else {
      listener.onStatus("no package-lock.json: installing dependencies and creating it (npm install)");
      result = install(sandbox, out, cancellation);
    }
    if (result.cancelled()) {
      throw new StepFailure("installing dependencies was cancelled");
    }
    if (!result.succeeded()) {
      throw new StepFailure(result.timedOut()
          ? "installing dependencies took longer than " + timeout.toSeconds() + " s and was stopped"
          : "installing dependencies failed (npm exit code " + result.exitCode() + "): " + out.error());
    }
    runAllowedScripts(sandbox, output, listener, cancellation);
  }

  /**
   * Watches npm's output as it streams: whether it says the lockfile is out of sync, and its first
   * error lines (npm prints the cause first, then pages of usage text).
   */
  static final class Output implements Consumer<String> {
    private final Consumer<String> sink;
    private final List<String> errors = new ArrayList<>();
    private final LogTail tail = new LogTail(12);
    volatile boolean outOfSync;

    Output(Consumer<String> sink) {
      this.sink = sink;
    }

    @Override
    public synchronized void accept(String line) {
      sink.accept(line);
      tail.add(line);
      if (outOfSync(line)) {
        outOfSync = true;
      }
      if ((line.startsWith("npm error") || line.startsWith("npm ERR!")) && errors.size() < 12) {
        String text = line.replaceFirst("^npm (error|ERR!) ?", "").strip();
        if (!text.isEmpty() && !text.startsWith("A complete log of this run") && !text.contains("_logs/")) {
          errors.add(text);
        }
      }
    }

    /** What npm said went wrong: its first error lines, else its last lines. */
    synchronized String error() {
      return errors.isEmpty() ? tail.last(12) : String.join("\n", errors);
    }
  }

  static boolean outOfSync(String npmOutput) {
    return npmOutput.contains("can only install packages when your package.json and package-lock.json")
        || npmOutput.contains("are in sync") || npmOutput.contains("Missing:") && npmOutput.contains("from lock file");
  }

  /** Whether node said a module it was asked to load is missing (node_modules gone or incomplete). */
  static boolean missingModule(String output) {
    return output.contains("Cannot find module") || output.contains("ERR_MODULE_NOT_FOUND")
        || output.contains("Cannot find package");
  }
}
