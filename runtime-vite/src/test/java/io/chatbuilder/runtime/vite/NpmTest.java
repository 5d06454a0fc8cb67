package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpmTest {
  @Test
  void installedOnlyWhileTheMarkerMatchesPackageJsonAndLockfile(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("package.json"), "{\"devDependencies\":{\"vite\":\"7.3.8\"}}");
    Files.writeString(dir.resolve("package-lock.json"), "{\"lockfileVersion\":3}");
    assertThat(Npm.isInstalled(dir)).as("no node_modules").isFalse();

    Files.createDirectories(dir.resolve("node_modules/vite/bin"));
    Files.writeString(dir.resolve(Npm.VITE_BIN), "// vite");
    assertThat(Npm.isInstalled(dir)).as("no marker").isFalse();
    Files.writeString(dir.resolve(Npm.INSTALL_MARKER), Npm.dependencyHash(dir) + "\n");
    assertThat(Npm.isInstalled(dir)).isTrue();

    Files.writeString(dir.resolve("package.json"), "{\"devDependencies\":{\"vite\":\"7.3.8\",\"react\":\"19.2.0\"}}");
    assertThat(Npm.isInstalled(dir)).as("package.json changed").isFalse();
    Files.writeString(dir.resolve(Npm.INSTALL_MARKER), Npm.dependencyHash(dir));
    assertThat(Npm.isInstalled(dir)).isTrue();
    Files.delete(dir.resolve("package-lock.json"));
    assertThat(Npm.isInstalled(dir)).as("lockfile removed").isFalse();
  }

  @Test
  void dependencyHashTellsWhichFileHeldWhichBytes(@TempDir Path a, @TempDir Path b) throws Exception {
    // the same bytes moved from one file to the other must not hash the same
    Files.writeString(a.resolve("package.json"), "ab");
    Files.writeString(a.resolve("package-lock.json"), "c");
    Files.writeString(b.resolve("package.json"), "a");
    Files.writeString(b.resolve("package-lock.json"), "bc");
    assertThat(Npm.dependencyHash(a)).isNotEqualTo(Npm.dependencyHash(b));
  }

  @Test
  void recognizesALockfileOutOfSync() {
    assertThat(Npm.outOfSync("npm error `npm ci` can only install packages when your package.json and package-lock.json or "
        + "npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.")).isTrue();
    assertThat(Npm.outOfSync("npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/nope")).isFalse();
  }

  @Test
  void outputKeepsNpmsFirstErrorLinesAndSeesALockfileOutOfSync() {
    List<String> forwarded = new ArrayList<>();
    Npm.Output out = new Npm.Output(forwarded::add);
    out.accept("npm error code EUSAGE");
    out.accept("npm error");
    out.accept("npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync.");
    out.accept("npm error Missing: picocolors@1.1.1 from lock file");
    for (int i = 0; i < 100; i++) {
      out.accept("npm error   --option-" + i + "  usage text"); // npm then prints pages of usage
    }
    out.accept("npm error A complete log of this run can be found in: /somewhere/_logs/x.log");
    assertThat(forwarded).hasSize(105);
    assertThat(out.outOfSync).isTrue();
    assertThat(out.error()).startsWith("code EUSAGE\n`npm ci` can only install packages")
        .contains("Missing: picocolors@1.1.1").doesNotContain("_logs").doesNotContain("--option-20");

    Npm.Output plain = new Npm.Output(line -> { });
    plain.accept("something odd");
    assertThat(plain.outOfSync).isFalse();
    assertThat(plain.error()).isEqualTo("something odd");
  }
}
