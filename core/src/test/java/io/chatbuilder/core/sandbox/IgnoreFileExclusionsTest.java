package io.chatbuilder.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app's .gitignore as part of the exclusions, checked against git itself. */
class IgnoreFileExclusionsTest {
  private static final String GITIGNORE = String.join("\n",
      "# create-vite's own lines",
      "logs",
      "*.log",
      "npm-debug.log*",
      "dist-ssr",
      "*.local",
      "!keep.local",
      "/root-only.txt",
      "build/",
      "docs/**/*.tmp",
      "**/cache-dir",
      "a/**",
      "\\#hash",
      "\\!bang",
      "trailing   ",
      "escaped\\ ",
      "[abc].x",
      "[!q]q.y",
      "secret/*",
      "!secret/public.txt",
      "deep/",
      "!deep/again.txt",
      "unterminated[",
      "",
      "   ",
      "src/*.gen.js");

  private static final List<String> PATHS = List.of(
      ".env.local", ".ENV.LOCAL", "keep.local", "sub/.env.local", "sub/keep.local",
      "logs/app.txt", "sub/logs/x", "logs-not/x", "dist-ssr/index.html", "npm-debug.log", "npm-debug.log.1", "x/y.log",
      "root-only.txt", "sub/root-only.txt", "build/out.js", "src/build", "sub/build/b.js",
      "docs/c.tmp", "docs/a/c.tmp", "docs/a/b/c.tmp", "docs/c.txt", "x/cache-dir/f", "cache-dir/f",
      "a/b/c", "a/d", "ab/c", "#hash", "!bang", "trailing", "escaped ", "a.x", "b.x", "d.x", "qq.y", "zq.y",
      "secret/public.txt", "secret/other.txt", "deep/again.txt", "deep/x.txt", "unterminated[",
      "src/a.gen.js", "src/sub/a.gen.js", "src/main.js", "index.html");

  @Test
  void matchesWhatGitIgnores(@TempDir Path repo) throws Exception {
    Exclusions exclusions = Exclusions.defaults().withIgnoreFile(GITIGNORE);
    Set<String> ours = new TreeSet<>();
    for (String p : PATHS) {
      if (exclusions.isExcluded(p)) {
        ours.add(p);
      }
    }
    // the oracle: git check-ignore on the same files on disk, case-insensitive like the defaults
    git(repo, null, "init", "-q");
    Files.writeString(repo.resolve(".gitignore"), GITIGNORE);
    for (String p : PATHS) {
      Path f = repo.resolve(p);
      Files.createDirectories(f.getParent());
      if (!p.equals(".ENV.LOCAL")) {
        Files.writeString(f, "x");
      }
    }
    List<String> candidates = PATHS.stream().filter(p -> !p.equals(".ENV.LOCAL")).toList();
    Set<String> git = new TreeSet<>(List.of(git(repo, String.join("\n", candidates) + "\n",
        "-c", "core.ignorecase=true", "check-ignore", "--no-index", "--stdin").split("\n")));
    git.remove("");
    Set<String> expected = new TreeSet<>(git);
    expected.add(".ENV.LOCAL"); // *.local, case-insensitively
    assertThat(ours).isEqualTo(expected);
    // sanity of the oracle: it did ignore and re-include
    assertThat(git).contains(".env.local", "logs/app.txt", "secret/other.txt").doesNotContain("keep.local", "secret/public.txt");
  }

  @Test
  void theFilesTheSdkNeedsAreNeverIgnoredAndDirectoriesOnlyWhenMarked() {
    Exclusions e = Exclusions.defaults().withIgnoreFile("package.json\npackage-lock.json\n.gitignore\n*\nbuild/\n");
    assertThat(e.isExcluded("package.json")).isFalse();
    assertThat(e.isExcluded("package-lock.json")).isFalse();
    assertThat(e.isExcluded(".gitignore")).isFalse();
    assertThat(e.isExcluded("sub/package.json")).isTrue();
    assertThat(e.isExcluded("index.html")).isTrue();
    Exclusions dirs = Exclusions.defaults().withIgnoreFile("build/\n");
    assertThat(dirs.isExcluded("build")).as("a file named build").isFalse();
    assertThat(dirs.isExcludedDirectory("build")).isTrue();
    assertThat(dirs.isExcluded("build/a.js")).isTrue();
    assertThat(dirs.isExcluded("node_modules/x")).as("default names still apply").isTrue();
    assertThat(dirs.withoutIgnoreFile().isExcluded("build/a.js")).isFalse();
    assertThat(Exclusions.defaults().hasIgnorePatterns()).isFalse();
    assertThat(Exclusions.defaults().withIgnoreFile("# only a comment\n\n").hasIgnorePatterns()).isFalse();
  }

  @Test
  void hostileIgnoreFilesCannotHangOrBreakTheRule() {
    // a catastrophic-backtracking shape for naive glob matchers, and garbage
    String nasty = "*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/x\n[\n\\\n[z-a]\n!\n/\n\u0000\n\u202E.local\n";
    Exclusions e = Exclusions.defaults().withIgnoreFile(nasty + "x".repeat(100_000));
    String long_ = "a".repeat(5000);
    assertThat(e.isExcluded(long_)).isFalse();
    assertThat(e.isExcluded("p/q/r/s/t/u/v/x")).isTrue();
    assertThat(e.isExcluded("src/main.js")).isFalse();
    // at most MAX_RULES lines are read
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < IgnorePatterns.MAX_RULES + 5; i++) {
      many.append("f").append(i).append('\n');
    }
    Exclusions big = Exclusions.defaults().withIgnoreFile(many.toString());
    assertThat(big.isExcluded("f0")).isTrue();
    assertThat(big.isExcluded("f" + (IgnorePatterns.MAX_RULES + 2))).isFalse();
  }

  private static String git(Path dir, String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI=true but git is not installed: " + e.getMessage(), e);
      }
      Assumptions.abort("git is not installed: " + e.getMessage());
      throw e;
    }
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }
}
