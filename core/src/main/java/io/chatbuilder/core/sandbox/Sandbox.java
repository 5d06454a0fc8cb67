package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.Cancellation;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * The workspace of one app: the files of a Vite web app and a way to run commands on them.
 *
 * <p>Rules every implementation follows (checked by {@code SandboxContract} in the testkit):
 * <ul>
 *   <li>Paths are relative, {@code /}-separated, and confined to the root. Absolute paths, {@code ..}
 *       escapes, NUL bytes, device names and symlinks that lead outside are refused with
 *       {@link io.chatbuilder.core.PathRefusedException} (see {@link SandboxPaths}).
 *   <li>Excluded directories ({@link Exclusions}: {@code node_modules}, {@code dist}, {@code .git},
 *       caches) are never listed by {@link #files()}, scanned, or searched, and cannot be written.
 *   <li>Change tracking: {@link #scanChanges()} never misses a path that changed since the last
 *       acknowledged scan, whoever changed it (the SDK, a command, a person).
 *   <li>Commands and services run as an argument vector under a {@link CommandPolicy}, isolated
 *       from the host; a sandbox that cannot isolate refuses to run them unless its host opted
 *       into running unisolated.
 *   <li>Fencing: a {@link #fenced(long)} view's mutations are refused once a higher fencing token
 *       has been seen for the app.
 * </ul>
 * Implementations are thread-safe.
 */
public interface Sandbox extends AutoCloseable {

  /** Identifies this sandbox (usually the app id). */
  String id();

  /**
   * Files and directories under {@code directory} ({@code ""} for the root), sorted by path,
   * without excluded directories; at most {@code limit} entries.
   */
  List<FileEntry> list(String directory, boolean recursive, int limit);

  /**
   * The content of a file.
   *
   * @throws io.chatbuilder.core.NotFoundException if there is no such file
   * @throws io.chatbuilder.core.TooLargeException if it exceeds the sandbox's size cap
   */
  FileContent read(String path);

  /** The content of a file, or empty if there is no file at {@code path}. */
  Optional<FileContent> tryRead(String path);

  /** Creates or replaces a file, creating parent directories. Writes nothing if the bytes are equal. */
  WriteOutcome write(String path, byte[] content);

  /**
   * Deletes a file, or a directory with everything in it.
   *
   * @return the files deleted, sorted
   * @throws io.chatbuilder.core.NotFoundException if nothing exists at {@code path}
   */
  List<String> delete(String path);

  /**
   * Moves a file or directory. Refuses to overwrite an existing target.
   *
   * @throws io.chatbuilder.core.NotFoundException if {@code from} does not exist
   * @throws io.chatbuilder.core.InvalidArgumentException if {@code to} exists
   */
  void rename(String from, String to);

  /** Searches text files (excluded and binary files are skipped). */
  SearchResult search(SearchQuery query);

  /**
   * Runs a command under the sandbox's policy, streaming output to {@code listener}, until it exits,
   * times out or {@code cancellation} fires (then the whole process tree is killed).
   *
   * @throws io.chatbuilder.core.CommandDeniedException if the policy refuses it
   */
  CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation);

  /**
   * Starts a long-running service (a dev server) with the same isolation, policy, environment
   * scrub, limits and tree kill as {@link #run}, and a bridge from the host to its port. Every
   * process that runs an app's code (installs, the dev server, builds) is started through
   * {@link #run} or this method, never by the host directly.
   *
   * @param output receives the service's output while it runs
   * @throws io.chatbuilder.core.CommandDeniedException if the policy refuses the program
   * @throws io.chatbuilder.core.SandboxException if this sandbox cannot run services
   */
  default SandboxService startService(ServiceRequest request, CommandListener output) {
    throw new io.chatbuilder.core.SandboxException("sandbox " + id() + " cannot run services");
  }

  /** The policy commands run under. */
  CommandPolicy policy();

  /** Every checkpointable file (exclusions left out): path to size in bytes, sorted by path. */
  SortedMap<String, Long> files();

  /** Paths that may have changed since the last acknowledged scan; see {@link ChangeScan}. */
  ChangeScan scanChanges();

  /** Forgets the changes reported by the scan of {@code generation} and earlier ones. */
  void acknowledgeChanges(long generation);

  /**
   * Sets files to the given contents (empty = delete), writing only those that differ so untouched
   * files keep their modification time. Used to restore a checkpoint's files.
   */
  void apply(Map<String, Optional<byte[]>> files);

  /**
   * A view of this sandbox whose mutating calls ({@link #write}, {@link #delete}, {@link #rename},
   * {@link #apply}, and the start of {@link #run} and {@link #startService}) carry {@code token},
   * the fencing token of the lease the caller holds on the app ({@link io.chatbuilder.core.checkpoint.Lease#token()}).
   * The sandbox remembers the highest token it has seen for the app, across every client and host
   * that reaches the same files, and refuses a mutation carrying a lower one with
   * {@link io.chatbuilder.core.LeaseLostException}, writing nothing. Reads are not fenced; calls
   * on this sandbox itself (without a view) carry no token and are never refused for it. Closing
   * the view closes nothing.
   *
   * <p>The default refuses: a sandbox that cannot fence must not pretend to (the facade then fails
   * the operation instead of letting a stale host write). {@link FencedSandbox} helps implement it.
   *
   * @throws IllegalArgumentException if {@code token < 1}
   * @throws io.chatbuilder.core.SandboxException if this sandbox cannot keep fencing tokens
   */
  default Sandbox fenced(long token) {
    FencedSandbox.checkToken(token);
    throw new io.chatbuilder.core.SandboxException("sandbox " + id() + " (" + getClass().getName()
        + ") does not support fencing tokens: override Sandbox.fenced(long)");
  }

  /**
   * Removes what writes killed with their process left behind (temporary files of dead owners),
   * never the app's files. {@code ChatBuilder} calls it when it takes over an app from a holder
   * that died; sandboxes also do it when they open. The default has nothing to remove.
   */
  default void removeAbandonedWrites() {}

  /**
   * The absolute path at which the sandbox's processes see its root, if it has one, so a tool can
   * show their output with app-relative paths (a dev server's log, a build error) instead of host
   * paths. Empty by default.
   */
  default java.util.Optional<String> processRoot() {
    return java.util.Optional.empty();
  }

  /** Releases resources (processes, watchers). The files stay. */
  @Override
  void close();
}
