package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.runtime.StatusListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Installs an app's dependencies with npm from its lockfile, through one npm cache shared by all
 * apps: the second app of a template installs from the cache without the network.
 */
final class Npm {
  /** Written after a successful install; holds the hash of package.json and package-lock.json. */
  static final String INSTALL_MARKER = "node_modules/.chatbuilder-install";
  static final String VITE_BIN = "node_modules/vite/bin/vite.js";

  private final String npm;
  private final Path cache;
  private final Duration timeout;

  Npm(String npm, Path cache, Duration timeout) {
    this.npm = npm;
    this.cache = cache;
    this.timeout = timeout;
  }

  Path cache() {
    return cache;
  }

  /** npm settings every install uses, as environment variables so nothing else is read. */
  void addEnvironment(Map<String, String> env) {
    env.put("npm_config_cache", cache.toString());
    env.put("npm_config_update_notifier", "false");
    env.put("npm_config_fund", "false");
    env.put("npm_config_audit", "false");
  }

  private List<String> command(String verb) {
    List<String> cmd = new ArrayList<>(List.of(npm, verb, "--cache", cache.toString(), "--prefer-offline", "--no-audit", "--no-fund"));
    return cmd;
  }

  /** {@code npm ci}: exactly the lockfile, into a fresh node_modules. */
  Commands.Result ci(Path dir, Map<String, String> env, Consumer<String> output) {
    return Commands.run(command("ci"), dir, env, timeout, output);
  }

  /** {@code npm install}: resolves package.json and rewrites package-lock.json to match. */
  Commands.Result install(Path dir, Map<String, String> env, Consumer<String> output) {
    return Commands.run(command("install"), dir, env, timeout, output);
  }

  /** Hash of what decides the installed dependencies: package.json and package-lock.json. */
  static String dependencyHash(Path dir) {
    MessageDigest md = Hashing.sha256();
    for (String name : List.of("package.json", "package-lock.json")) {
      md.update(name.getBytes(StandardCharsets.UTF_8));
      Path file = dir.resolve(name);
      try {
        if (Files.isRegularFile(file)) {
          byte[] bytes = Files.readAllBytes(file);
          md.update((byte) 1);
          md.update(Long.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
          md.update((byte) 0);
          md.update(bytes);
        } else {
          md.update((byte) 0);
        }
      } catch (IOException e) {
        md.update((byte) 2);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Whether node_modules was installed from the current package.json and package-lock.json. */
  static boolean isInstalled(Path dir) {
    Path marker = dir.resolve(INSTALL_MARKER);
    if (!Files.isRegularFile(marker) || !Files.isRegularFile(dir.resolve(VITE_BIN))) {
      return false;
    }
    try {
      return Files.readString(marker, StandardCharsets.UTF_8).strip().equals(dependencyHash(dir));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Installs when node_modules is missing or package.json/package-lock.json changed since the last
   * install. Uses {@code npm ci}; when the agent edited package.json without updating the lockfile
   * (npm ci refuses: "not in sync"), or there is no lockfile, {@code npm install} updates it.
   *
   * @return whether it installed
   * @throws StepFailure if npm fails
   */
  boolean ensureInstalled(Path dir, Map<String, String> env, Consumer<String> output, StatusListener listener) {
    if (isInstalled(dir)) {
      return false;
    }
    boolean hasLock = Files.isRegularFile(dir.resolve("package-lock.json"));
    Output out = new Output(output);
    Commands.Result result;
    if (hasLock) {
      listener.onStatus("installing dependencies (npm ci)");
      result = ci(dir, env, out);
      if (!result.ok() && !result.timedOut() && out.outOfSync) {
        listener.onStatus("package.json changed: updating package-lock.json (npm install)");
        out = new Output(output);
        result = install(dir, env, out);
      }
    } else {
      listener.onStatus("no package-lock.json: installing dependencies and creating it (npm install)");
      result = install(dir, env, out);
    }
    if (!result.ok()) {
      throw new StepFailure(result.timedOut()
          ? "installing dependencies took longer than " + timeout.toSeconds() + " s and was stopped"
          : "installing dependencies failed (npm exit code " + result.exitCode() + "): " + out.error());
    }
    if (!Files.isRegularFile(dir.resolve(VITE_BIN))) {
      throw new StepFailure("vite is not installed after npm: add \"vite\" to the devDependencies of package.json");
    }
    try {
      Files.writeString(dir.resolve(INSTALL_MARKER), dependencyHash(dir) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StepFailure("cannot record the install in " + INSTALL_MARKER + ": " + e.getMessage());
    }
    return true;
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
}
