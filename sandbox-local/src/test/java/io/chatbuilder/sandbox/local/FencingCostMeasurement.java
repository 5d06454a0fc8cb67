package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in measurement (not a test: it asserts nothing about speed): cost per write of fencing
 * (OS lock + token read of the state file) against plain writes, same sandbox, same run. Run with
 * {@code ./mvnw -B -o -q verify -pl sandbox-local -am -Dtest=FencingCostMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false -Dchatbuilder.measure=true}.
 */
@EnabledIfSystemProperty(named = "chatbuilder.measure", matches = "true")
class FencingCostMeasurement {
  private static final int OPS = 3_000;

  @Test
  void fencedVersusPlainWrites(@TempDir Path dir) {
    try (LocalSandbox sandbox = LocalSandbox.builder(dir.resolve("app")).build()) {
      Sandbox fenced = sandbox.fenced(1);
      for (int round = 0; round < 3; round++) { // the first round warms up
        double plain = measure(sandbox, round);
        double withToken = measure(fenced, round);
        Sandbox emptyRun = sandbox.fenced(1);
        long start = System.nanoTime();
        for (int i = 0; i < OPS; i++) {
          emptyRun.rename("same.txt", "same.txt"); // the fence alone: lock, read the token, unlock
        }
        double fenceAlone = (System.nanoTime() - start) / 1000.0 / OPS;
        System.out.printf(Locale.ROOT, "round %d: the fence alone (lock + token read + unlock) %.1f us%n", round, fenceAlone);
        System.out.printf(Locale.ROOT, "round %d, %d writes of 100 bytes: plain %.1f us/write, fenced %.1f us/write, fencing %+.1f us/write%n",
            round, OPS, plain, withToken, withToken - plain);
      }
    }
  }

  private static double measure(Sandbox sandbox, int round) {
    long start = System.nanoTime();
    for (int i = 0; i < OPS; i++) {
      String text = (round + " " + i + " content ").repeat(20).substring(0, 100);
      sandbox.write("src/file" + (i % 50) + ".txt", text.getBytes(StandardCharsets.UTF_8));
    }
    return (System.nanoTime() - start) / 1000.0 / OPS;
  }
}
