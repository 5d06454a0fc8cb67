package io.chatbuilder.sandbox.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Builds the {@code bwrap} command line of the sandbox profile, the same for commands and services:
 * <ul>
 *   <li>new user, PID, IPC, UTS, cgroup, mount and network namespaces ({@code --unshare-all}, the
 *       network shared only when the policy opts into the host network), uid and gid 1000 inside
 *       (mapped to the JVM's own uid, so the app directory the JVM owns stays writable), every
 *       capability dropped (so a read-only bind cannot be remounted, even when the JVM runs as
 *       root), no nested user namespaces, {@code --new-session}, {@code --die-with-parent};
 *   <li>{@code /usr}, {@code /bin}, {@code /lib*} and a few {@code /etc} entries read-only, fresh
 *       {@code /proc}, a minimal {@code /dev} and a private {@code /tmp} (tmpfs);
 *   <li>the sandbox's own root file system (where {@code /etc} and the mount points live) read-only;
 *   <li>writable: only the app directory and the sandbox's private home (a host directory outside
 *       the app, never the host user's home); read-only: the egress proxy's socket directory at
 *       {@link #RUN_DIRECTORY}{@code /egress} when the network is denied.
 * </ul>
 * Nothing else of the host is visible: no home directories, no {@code /root}, {@code /var},
 * {@code /run}, {@code /sys}, no other app's directory, none of the host's {@code /tmp}.
 */
final class Bubblewrap {
  /** Where the sandbox sees its bridges to the host (the egress proxy's socket). */
  static final String RUN_DIRECTORY = "/run/chatbuilder";
  /** The uid and gid processes have inside the sandbox. */
  static final int SANDBOX_UID = 1000;

  private static final List<String> SYSTEM_DIRECTORIES = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
  /** What programs need from /etc (TLS roots, DNS, users, time zone, dynamic linker), nothing more. */
  private static final List<String> ETC_ENTRIES = List.of(
      "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
      "/etc/passwd", "/etc/group", "/etc/localtime", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
      "/etc/alternatives", "/etc/mime.types");
  /**
   * Device nodes bound from the host into a tmpfs {@code /dev}. Not bwrap's {@code --dev}: its devpts
   * mount makes bwrap nest a second user namespace for unprivileged users, and the host could then
   * no longer join the sandbox's network namespace to bridge a service's port.
   */
  private static final List<String> DEVICES = List.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom");

  private final Path executable;
  private final List<Path> readOnly;

  Bubblewrap(Path executable, List<Path> readOnly) {
    this.executable = executable;
    this.readOnly = List.copyOf(readOnly);
  }

  /** Finds {@code bwrap} on a search path (absolute entries only). */
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
   * What one process gets.
   *
   * @param shareNetwork the host network (the policy's explicit opt-in); otherwise loopback only
   * @param egressDirectory the host directory of the egress proxy's socket, bound read-only
   * @param disableNestedUserNamespaces off only for services of an unprivileged JVM, whose network
   *     namespace the host must be able to join (bwrap nests a user namespace to disable them)
   * @param extraReadOnly directories the program needs (its install prefix, PATH entries)
   */
  record Profile(Path root, Path home, Path workingDirectory, boolean shareNetwork, Optional<Path> egressDirectory,
      boolean disableNestedUserNamespaces, Set<Path> extraReadOnly) {
    Profile {
      extraReadOnly = Set.copyOf(extraReadOnly);
    }
  }

  /** The full command: bwrap options, then {@code program} and its arguments. */
  List<String> command(Profile profile, List<String> program) {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable.toString());
    cmd.add("--die-with-parent");
    cmd.add("--new-session");
    cmd.add("--unshare-all");
    cmd.add("--unshare-user");
    if (profile.disableNestedUserNamespaces()) {
      cmd.add("--disable-userns");
    }
    cmd.addAll(List.of("--uid", Integer.toString(SANDBOX_UID), "--gid", Integer.toString(SANDBOX_UID)));
    cmd.addAll(List.of("--hostname", "sandbox"));
    if (profile.shareNetwork()) {
      cmd.add("--share-net");
    }
    cmd.addAll(List.of("--cap-drop", "ALL"));
    bindSystemDirectories(cmd);
    for (String entry : ETC_ENTRIES) {
      cmd.addAll(List.of("--ro-bind-try", entry, entry));
    }
    Set<Path> binds = new LinkedHashSet<>(readOnly);
    binds.addAll(profile.extraReadOnly());
    for (Path p : binds) {
      if (!coveredBySystem(p) && !p.startsWith(profile.root()) && !profile.root().startsWith(p)
          && !p.startsWith(profile.home()) && !profile.home().startsWith(p)) {
        cmd.addAll(List.of("--ro-bind-try", p.toString(), p.toString()));
      }
    }
    cmd.addAll(List.of("--proc", "/proc"));
    cmd.addAll(List.of("--tmpfs", "/dev"));
    for (String device : DEVICES) {
      cmd.addAll(List.of("--dev-bind", device, device));
    }
    cmd.addAll(List.of("--symlink", "/proc/self/fd", "/dev/fd", "--symlink", "/proc/self/fd/0", "/dev/stdin",
        "--symlink", "/proc/self/fd/1", "/dev/stdout", "--symlink", "/proc/self/fd/2", "/dev/stderr",
        "--tmpfs", "/dev/shm"));
    // The private /tmp first: the home and the app may live under the host's /tmp and are bound on top.
    cmd.addAll(List.of("--tmpfs", "/tmp"));
    profile.egressDirectory().ifPresent(dir -> cmd.addAll(List.of("--ro-bind", dir.toString(), RUN_DIRECTORY + "/egress")));
    cmd.addAll(List.of("--bind", profile.home().toString(), profile.home().toString()));
    cmd.addAll(List.of("--bind", profile.root().toString(), profile.root().toString()));
    // bwrap's own root (where /etc, /run and the mount points live) read-only too, once everything is mounted.
    cmd.addAll(List.of("--remount-ro", "/"));
    cmd.addAll(List.of("--chdir", profile.workingDirectory().toString()));
    cmd.add("--");
    cmd.addAll(program);
    return cmd;
  }

  /**
   * A narrower profile for a trusted system program that only reads the app (the search's
   * {@code rg}): no network, no capabilities, the system directories and the root, all read-only,
   * no home, no /etc beyond what the dynamic linker needs, no /proc.
   */
  List<String> readOnlyCommand(Path root, List<String> program) {
    List<String> cmd = new ArrayList<>();
    cmd.add(executable.toString());
    cmd.addAll(List.of("--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--cap-drop", "ALL"));
    bindSystemDirectories(cmd);
    cmd.addAll(List.of("--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"));
    cmd.addAll(List.of("--tmpfs", "/dev", "--dev-bind", "/dev/null", "/dev/null"));
    cmd.addAll(List.of("--ro-bind", root.toString(), root.toString()));
    cmd.addAll(List.of("--remount-ro", "/", "--chdir", root.toString(), "--"));
    cmd.addAll(program);
    return cmd;
  }

  /** /usr, /bin, /lib... read-only (a merged-/usr link stays a link). */
  private static void bindSystemDirectories(List<String> cmd) {
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
   * Runs {@code true} inside the profile commands get; bwrap fails here when the kernel or a
   * container forbids user namespaces. Returns the failure, or empty if bwrap works.
   */
  Optional<String> probe(Path root, Path home) {
    Optional<Path> trueProgram = systemProgram("true");
    if (trueProgram.isEmpty()) {
      return Optional.of("no 'true' program in /usr/bin or /bin to probe bubblewrap with");
    }
    List<String> cmd = command(new Profile(root, home, root, false, Optional.empty(), true, Set.of()),
        List.of(trueProgram.get().toString()));
    try {
      Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      process.getOutputStream().close();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return Optional.of("bwrap did not finish within 20 s");
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return process.exitValue() == 0 ? Optional.empty()
          : Optional.of("bwrap exited with " + process.exitValue() + (output.isEmpty() ? "" : ": " + output));
    } catch (IOException e) {
      return Optional.of("bwrap could not start: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while probing bwrap");
    }
  }

  /** A program from the system directories only (never from PATH, never from the app). */
  static Optional<Path> systemProgram(String name) {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Remembers probe results per bwrap executable, so opening many sandboxes (one provider, one
   * probe) costs one probe. Thread-safe; a failed probe is remembered too (the host installs
   * bubblewrap and restarts).
   */
  static final class Probes {
    private final Map<Path, Optional<String>> results = new ConcurrentHashMap<>();

    Optional<String> probe(Bubblewrap bwrap, Path root, Path home) {
      return results.computeIfAbsent(bwrap.executable(), p -> bwrap.probe(root, home));
    }
  }
}
