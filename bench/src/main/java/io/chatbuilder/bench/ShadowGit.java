package io.chatbuilder.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The peer for checkpoints: a shadow Git repository (its {@code .git} outside the workspace, the
 * workspace as its work tree) driven by the {@code git} CLI, as checkpointing tools built on Git do.
 */
final class ShadowGit {
  private final Path gitDir;
  private final Path workTree;
  private final Map<String, String> env;

  private ShadowGit(Path gitDir, Path workTree) {
    this.gitDir = gitDir.toAbsolutePath();
    this.workTree = workTree.toAbsolutePath();
    this.env = Map.of("GIT_DIR", this.gitDir.toString(), "GIT_WORK_TREE", this.workTree.toString(),
        "GIT_CONFIG_NOSYSTEM", "1", "GIT_CONFIG_GLOBAL", "/dev/null", "GIT_TERMINAL_PROMPT", "0");
  }

  /**
   * Creates the shadow repository and commits the whole work tree, then packs it (untimed), so the
   * timed commands find a warm index and a packed repository like a checkpointer that has run a while.
   */
  static ShadowGit create(Path gitDir, Path workTree) {
    ShadowGit git = new ShadowGit(gitDir, workTree);
    git.git("init", "-q");
    git.git("config", "user.name", "bench");
    git.git("config", "user.email", "bench@localhost");
    git.git("config", "commit.gpgsign", "false");
    // No background auto-gc racing the explicit one after the big first commit; default again after.
    git.git("config", "gc.auto", "0");
    git.commitAll("initial");
    git.git("gc", "-q");
    git.git("config", "--unset", "gc.auto");
    git.git("status", "--porcelain"); // warms the index's stat data
    return git;
  }

  /** An empty shadow repository (for histories imported with {@link #fastImport}). */
  static ShadowGit createEmpty(Path gitDir, Path workTree) {
    ShadowGit git = new ShadowGit(gitDir, workTree);
    git.git("init", "-q");
    git.git("config", "user.name", "bench");
    git.git("config", "user.email", "bench@localhost");
    return git;
  }

  Path gitDir() {
    return gitDir;
  }

  /** {@code git add -A && git commit}: the peer's checkpoint. */
  void commitAll(String message) {
    git("add", "-A");
    git("commit", "-q", "--allow-empty-message", "--no-verify", "-m", message);
  }

  String head() {
    return git("rev-parse", "HEAD").stdout().strip();
  }

  Processes.Output git(String... args) {
    List<String> argv = new ArrayList<>(args.length + 1);
    argv.add("git");
    argv.addAll(List.of(args));
    return Processes.run(workTree, env, true, argv);
  }

  /**
   * Imports a linear history with {@code git fast-import} (setup only): an initial commit of
   * {@code baseFiles}, then {@code commits} commits that each change one of them.
   */
  void fastImport(Map<String, byte[]> baseFiles, int commits) {
    Path stream = gitDir.resolveSibling(gitDir.getFileName() + ".fast-import");
    try (OutputStream out = Files.newOutputStream(stream)) {
      List<String> paths = new ArrayList<>(baseFiles.keySet());
      long time = 1_700_000_000L;
      for (int c = 0; c <= commits; c++) {
        StringBuilder sb = new StringBuilder();
        String msg = c == 0 ? "initial" : "checkpoint " + c;
        sb.append("commit refs/heads/main\n");
        sb.append("committer bench <bench@localhost> ").append(time + c).append(" +0000\n");
        sb.append("data ").append(msg.getBytes(StandardCharsets.UTF_8).length).append('\n').append(msg).append('\n');
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        if (c == 0) {
          for (Map.Entry<String, byte[]> e : baseFiles.entrySet()) {
            writeFile(out, e.getKey(), e.getValue());
          }
        } else {
          String path = paths.get(c % paths.size());
          byte[] base = baseFiles.get(path);
          byte[] edit = ("// checkpoint " + c + "\n").getBytes(StandardCharsets.UTF_8);
          byte[] content = new byte[base.length + edit.length];
          System.arraycopy(base, 0, content, 0, base.length);
          System.arraycopy(edit, 0, content, base.length, edit.length);
          writeFile(out, path, content);
        }
        out.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> argv = List.of("sh", "-c", "git fast-import --quiet < \"$0\"", stream.toString());
    Processes.run(workTree, env, false, argv);
    git("symbolic-ref", "HEAD", "refs/heads/main");
    try {
      Files.deleteIfExists(stream);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeFile(OutputStream out, String path, byte[] content) throws IOException {
    out.write(("M 100644 inline " + path + "\ndata " + content.length + "\n").getBytes(StandardCharsets.UTF_8));
    out.write(content);
    out.write('\n');
  }
}
