package io.chatbuilder.bench;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.remote.RemoteSandbox;
import io.chatbuilder.sandbox.remote.SandboxRegistry;
import io.chatbuilder.sandbox.remote.SandboxServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** B8: small reads and writes through the remote sandbox on loopback, against the local sandbox. */
final class RemoteBench {
  private static final int FILES = 50;
  private static final int FILE_BYTES = 1024;
  /** Warm-up rounds of each side (1,000 operations each) before the measured ones. */
  private static final int WARMUP_ROUNDS = 6;

  private final BenchConfig config;

  RemoteBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    Path base = config.workDir().resolve("b8");
    Workspace.deleteTree(base);
    int ops = config.remoteOperations();
    Measure m = config.slowMeasure();
    // The JVM warm-up compiles the local sandbox's paths but not the HTTP client's and server's: with
    // one warm-up round, C2 compiled those during the measured rounds (a perf profile of B8 had the
    // compiler threads on 30-50 % of the process's CPU time until its end). Warm both sides alike,
    // then alternate them, so both see the same compiled code and the same machine.
    int warmups = config.smoke() ? m.warmups() : Math.max(m.warmups(), WARMUP_ROUNDS);
    List<Long> localNanos = new ArrayList<>();
    List<Long> remoteNanos = new ArrayList<>();
    SandboxRegistry registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    try (LocalSandbox peerSandbox = LocalSandbox.builder(base.resolve("local")).unisolated().build();
        LocalSandbox hosted = LocalSandbox.builder(base.resolve("remote")).id("bench-remote").unisolated().build()) {
      registry.register(hosted, token);
      try (SandboxServer server = SandboxServer.builder(registry).start();
          RemoteSandbox client = RemoteSandbox.builder(server.url(), "bench-remote", token).build()) {
        for (int i = 0; i < warmups + m.repetitions(); i++) {
          long local = timed(peerSandbox, ops, i);
          long remote = timed(client, ops, i);
          if (i >= warmups) {
            localNanos.add(local);
            remoteNanos.add(remote);
          }
        }
      }
    }
    Stats local = Stats.ofNanos(localNanos);
    Stats remote = Stats.ofNanos(remoteNanos);
    Workspace.deleteTree(base);
    double overheadPerOp = (remote.medianMs() - local.medianMs()) / ops;
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("overhead_ms_per_operation", Result.round(overheadPerOp));
    extra.put("warmup_rounds_per_side", warmups);
    Result r = Result.timed("B8", "B8 remote vs local, " + ops + " ops", Optional.empty(),
        "RemoteSandbox over loopback HTTP: " + ops / 2 + " writes + " + ops / 2 + " reads of 1 KiB files", remote,
        "LocalSandbox, same operations", local, 0, "", Map.of("operations", ops, "file_bytes", FILE_BYTES, "files", FILES), extra);
    return List.of(CheckpointBench.withTarget(r, "overhead <= 0.5 ms per operation", overheadPerOp <= 0.5));
  }

  private static long timed(Sandbox sandbox, int ops, int round) {
    long start = System.nanoTime();
    operations(sandbox, ops, round);
    return System.nanoTime() - start;
  }

  /** Alternating writes and reads of small files; every write changes the bytes (round {@code round}). */
  static void operations(Sandbox sandbox, int ops, int round) {
    byte[] content = new byte[FILE_BYTES];
    for (int k = 0; k < ops; k++) {
      String path = "data/file" + (k / 2) % FILES + ".txt";
      if (k % 2 == 0) {
        byte[] stamp = ("round " + round + " op " + k + "\n").getBytes(StandardCharsets.UTF_8);
        java.util.Arrays.fill(content, (byte) 'x');
        System.arraycopy(stamp, 0, content, 0, stamp.length);
        content[FILE_BYTES - 1] = '\n';
        sandbox.write(path, content);
      } else {
        CheckpointBench.check(sandbox.read(path).bytes().length == FILE_BYTES, "B8: short read");
      }
    }
  }
}
