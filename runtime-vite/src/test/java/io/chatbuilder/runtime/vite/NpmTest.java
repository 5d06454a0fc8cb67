package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NpmTest {
  @Test
  void dependencyHashFollowsPackageJsonAndLockfileReadThroughTheSandbox() {
    Sandbox sandbox = InMemorySandbox.builder("app")
        .file("package.json", "{\"devDependencies\":{\"vite\":\"7.3.8\"}}")
        .file("package-lock.json", "{\"lockfileVersion\":3}")
        .build();
    String first = Npm.dependencyHash(sandbox);
    assertThat(first).hasSize(64).isEqualTo(Npm.dependencyHash(sandbox));

    sandbox.write("src/main.js", "changed".getBytes(StandardCharsets.UTF_8));
    assertThat(Npm.dependencyHash(sandbox)).as("other files do not count").isEqualTo(first);
    sandbox.write("package.json", "{\"devDependencies\":{\"vite\":\"7.3.8\",\"react\":\"19.2.0\"}}".getBytes(StandardCharsets.UTF_8));
    String second = Npm.dependencyHash(sandbox);
    assertThat(second).as("package.json changed").isNotEqualTo(first);
    sandbox.delete("package-lock.json");
    assertThat(Npm.dependencyHash(sandbox)).as("lockfile removed").isNotEqualTo(second);
  }

  @Test
  void dependencyHashTellsWhichFileHeldWhichBytes() {
    // the same bytes moved from one file to the other must not hash the same
    Sandbox a = InMemorySandbox.builder("a").file("package.json", "ab").file("package-lock.json", "c").build();
    Sandbox b = InMemorySandbox.builder("b").file("package.json", "a").file("package-lock.json", "bc").build();
    assertThat(Npm.dependencyHash(a)).isNotEqualTo(Npm.dependencyHash(b));
  }

  @Test
  void installsNeverRunLifecycleScriptsAndOnlyAllowlistedPackagesAreRebuilt() {
    for (String verb : List.of("ci", "install")) {
      assertThat(Npm.argv(verb)).startsWith("npm", verb).contains("--ignore-scripts")
          .noneMatch(a -> a.startsWith("--cache") || a.startsWith("--prefix") || a.startsWith("--ignore-scripts="));
    }
    Npm npm = new Npm(java.time.Duration.ofMinutes(1), List.of("sharp", "@scope/native"));
    assertThat(npm.rebuildArgv()).startsWith("npm", "rebuild", "--ignore-scripts=false").endsWith("sharp", "@scope/native");
    assertThatThrownBy(() -> Settings.packageNames("ok", "--global")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Settings.packageNames("../x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Settings.packageNames("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Settings.packageNames("esbuild", "@rollup/rollup-linux-x64-gnu")).hasSize(2);
  }

  @Test
  void recognizesALockfileOutOfSyncAndAMissingModule() {
    assertThat(Npm.outOfSync("npm error `npm ci` can only install packages when your package.json and package-lock.json or "
        + "npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.")).isTrue();
    assertThat(Npm.outOfSync("npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/nope")).isFalse();
    assertThat(Npm.missingModule("Error: Cannot find module '/app/node_modules/vite/bin/vite.js'")).isTrue();
    assertThat(Npm.missingModule("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'rollup' imported from")).isTrue();
    assertThat(Npm.missingModule("VITE v7.3.8  ready in 300 ms")).isFalse();
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

  @Test
  void tooLargeLockfileIsAStepFailure() {
    Sandbox sandbox = InMemorySandbox.builder("big").maxFileBytes(16)
        .file("package.json", "{}")
        .file("package-lock.json", "{\"lockfileVersion\":3,\"x\":1}")
        .build();
    assertThatThrownBy(() -> Npm.dependencyHash(sandbox)).isInstanceOf(StepFailure.class).hasMessageContaining("package-lock.json");
    assertThat(Optional.of(sandbox.id())).hasValue("big");
  }
}
