package io.chatbuilder.store.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.util.FS;

/** Helpers shared by the tests: the real git CLI and a one-time JGit file-system probe. */
final class TestSupport {
  private static boolean probed;

  private TestSupport() {}

  /**
   * Runs JGit's file-system timing probe once per test JVM, in the foreground. The store asks JGit
   * to probe in the background (so a first checkpoint is not slow); in tests the background probe
   * could still be writing its probe files while JUnit deletes a temporary directory.
   */
  static synchronized void probeFileSystemOnce() {
    if (probed) {
      return;
    }
    try {
      Path dir = Files.createTempDirectory("jgit-probe");
      FS.FileStoreAttributes.setBackground(false);
      FS.FileStoreAttributes.get(dir);
      Files.deleteIfExists(dir);
      probed = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  record GitResult(int exitCode, byte[] stdout, String stderr) {
    String text() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  /** Runs the real {@code git} with {@code --git-dir=gitDir}, isolated from user and system config. */
  static GitResult git(Path gitDir, String... args) {
    List<String> command = new ArrayList<>();
    command.add("git");
    command.add("--git-dir=" + gitDir);
    command.addAll(List.of(args));
    return run(command);
  }

  static GitResult run(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
    pb.environment().put("GIT_AUTHOR_NAME", "test");
    pb.environment().put("GIT_AUTHOR_EMAIL", "test@localhost");
    pb.environment().put("GIT_COMMITTER_NAME", "test");
    pb.environment().put("GIT_COMMITTER_EMAIL", "test@localhost");
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      byte[] out = readAll(p.getInputStream());
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("git timed out: " + command);
      }
      return new GitResult(p.exitValue(), out, new String(err.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs git and asserts it succeeded. */
  static GitResult gitOk(Path gitDir, String... args) {
    GitResult r = git(gitDir, args);
    assertThat(r.exitCode()).as("git %s failed: %s", List.of(args), r.stderr()).isZero();
    return r;
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long looseObjectCount(Path gitDir) {
    try {
      return Maintenance.looseObjects(gitDir.resolve("objects")).size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
