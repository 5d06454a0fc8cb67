package io.chatbuilder.sandbox.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Builds the {@code bwrap} command line that runs a program with only the sandbox root (and a
 * private home) writable: system directories read-only, a fresh {@code /tmp}, {@code /proc} and
 * {@code /dev}, new PID/IPC/UTS/user namespaces (so killing bwrap kills everything inside), the
 * network namespace shared only when the policy allows network, and nothing else of the host: no
 * home directory, no {@code /root}, no {@code /var}, no secrets.
 */
final class Bubblewrap {
  private static final List<String> SYSTEM_DIRECTORIES = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
  /** What programs need from /etc (TLS roots, DNS, users, time zone, dynamic linker), nothing more. */
  private static final List<String> ETC_ENTRIES = List.of(
      "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
      "/etc/passwd", "/etc/group", "/etc/localtime", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
      "/etc/alternatives", "/etc/mime.types");

  private final Path executable;
  private final List<Path> readOnly;

  Bubblewrap(Path executable, List<Path> readOnly) {
    this.executable = executable;
    this.readOnly = List.copyOf(readOnly);
  }

  /** Finds {@code bwrap} on the JVM's PATH. */
  static Optional<Path> find(String pathVariable) {
    if (pathVariable == null) {
      return Optional.empty();
    }
    for (String dir : pathVariable.split(":")) {
      if (dir.isEmpty() || !dir.startsWith("/")) {
        continue;
      }
      Path candidate = Path.of(dir, "bwrap");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  Path executable() {
    return executable;
  }

  /**
   * The full command: bwrap options, then {@code program} and its arguments.
   *
   * @param extraReadOnly directories the program needs (its install prefix, PATH entries)
   */
  List<String> command(Path program, List<String> args, Path root, Path home, Path workingDirectory,
      boolean network, Set<Path> extraReadOnly) {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable.toString());
    cmd.add("--die-with-parent");
    cmd.add("--new-session");
    cmd.add("--unshare-all");
    if (network) {
      cmd.add("--share-net");
    }
    for (String dir : SYSTEM_DIRECTORIES) {
      Path p = Path.of(dir);
      if (Files.isSymbolicLink(p)) {
        try {
          cmd.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), dir));
        } catch (IOException e) {
          // Unreadable link: leave it out.
        }
      } else if (Files.isDirectory(p)) {
        cmd.addAll(List.of("--ro-bind", dir, dir));
      }
    }
    for (String entry : ETC_ENTRIES) {
      cmd.addAll(List.of("--ro-bind-try", entry, entry));
    }
    Set<Path> binds = new LinkedHashSet<>(readOnly);
    binds.addAll(extraReadOnly);
    for (Path p : binds) {
      if (!coveredBySystem(p) && !p.startsWith(root) && !root.startsWith(p)) {
        cmd.addAll(List.of("--ro-bind-try", p.toString(), p.toString()));
      }
    }
    cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
    cmd.addAll(List.of("--bind", home.toString(), home.toString()));
    cmd.addAll(List.of("--bind", root.toString(), root.toString()));
    cmd.addAll(List.of("--chdir", workingDirectory.toString()));
    cmd.add("--");
    cmd.add(program.toString());
    cmd.addAll(args);
    return cmd;
  }

  private static boolean coveredBySystem(Path p) {
    for (String dir : SYSTEM_DIRECTORIES) {
      if (p.startsWith(dir)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs {@code true} inside bwrap with the same options commands get; bwrap fails here when the
   * kernel or container forbids user namespaces. Returns the failure, or empty if bwrap works.
   */
  Optional<String> probe(Path root, Path home, Path trueProgram) {
    List<String> cmd = command(trueProgram, List.of(), root, home, root, false, Set.of());
    try {
      Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      process.getOutputStream().close();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return Optional.of("bwrap did not finish within 20 s");
      }
      String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
      return process.exitValue() == 0 ? Optional.empty()
          : Optional.of("bwrap exited with " + process.exitValue() + (output.isEmpty() ? "" : ": " + output));
    } catch (IOException e) {
      return Optional.of("bwrap could not start: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while probing bwrap");
    }
  }
}
