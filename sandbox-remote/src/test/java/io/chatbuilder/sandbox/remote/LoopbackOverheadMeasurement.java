package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in measurement (not a test: it asserts nothing about speed): per-operation cost of 1,000
 * small writes and 1,000 small reads on a sandbox directly and through client + server on
 * loopback, in the same run. Run with
 * {@code mvn -o -pl sandbox-remote verify -Dtest=LoopbackOverheadMeasurement -Dchatbuilder.measure=true}.
 */
@EnabledIfSystemProperty(named = "chatbuilder.measure", matches = "true")
class LoopbackOverheadMeasurement {
  private static final int OPS = 1_000;
  private static final int WARMUP = 300;

  @Test
  void remoteVersusLocalOnLoopback() {
    SandboxRegistry registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    InMemorySandbox backend = InMemorySandbox.builder("remote").build();
    registry.register(backend, token);
    try (SandboxServer server = SandboxServer.builder(registry).start();
        RemoteSandbox remote = RemoteSandbox.builder(server.url(), "remote", token).build()) {
      report("in-memory", InMemorySandbox.builder("local").build(), remote);
    }
  }

  @Test
  void remoteVersusLocalDirectoryOnLoopback(@TempDir Path dir) {
    SandboxRegistry registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    registry.register(LocalSandbox.builder(dir.resolve("remote")).id("remote").unisolated().build(), token);
    try (SandboxServer server = SandboxServer.builder(registry).start();
        RemoteSandbox remote = RemoteSandbox.builder(server.url(), "remote", token).build();
        LocalSandbox local = LocalSandbox.builder(dir.resolve("local")).id("local").unisolated().build()) {
      report("LocalSandbox (directory)", local, remote);
    }
  }

  static void report(String kind, Sandbox local, Sandbox remote) {
    measure(local, WARMUP);
    measure(remote, WARMUP);
    double[] l = measure(local, OPS);
    double[] r = measure(remote, OPS);
    System.out.printf(Locale.ROOT, "%s sandbox, %d ops each, 100-byte files, loopback:%n", kind, OPS);
    System.out.printf(Locale.ROOT, "  write: local %8.1f us/op  remote %8.1f us/op  overhead %8.1f us/op (x%.0f)%n",
        l[0], r[0], r[0] - l[0], r[0] / l[0]);
    System.out.printf(Locale.ROOT, "  read:  local %8.1f us/op  remote %8.1f us/op  overhead %8.1f us/op (x%.0f)%n",
        l[1], r[1], r[1] - l[1], r[1] / l[1]);
  }

  /** Microseconds per write and per read. */
  private static double[] measure(Sandbox sandbox, int ops) {
    long start = System.nanoTime();
    for (int i = 0; i < ops; i++) {
      sandbox.write("src/file" + (i % 50) + ".txt", ("content " + i + " ").repeat(20).substring(0, 100).getBytes(StandardCharsets.UTF_8));
    }
    long writes = System.nanoTime() - start;
    start = System.nanoTime();
    long bytes = 0;
    for (int i = 0; i < ops; i++) {
      bytes += sandbox.read("src/file" + (i % 50) + ".txt").size();
    }
    long reads = System.nanoTime() - start;
    if (bytes != 100L * ops) {
      throw new AssertionError("read " + bytes + " bytes");
    }
    return new double[] {writes / 1000.0 / ops, reads / 1000.0 / ops};
  }
}
