package io.chatbuilder.sandbox.kubernetes;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.kubernetes.crd.SandboxWarmPool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in measurement (asserts nothing about speed): the provider's overhead from claiming to the
 * first file operation on the simulator (create the claim, wait for Ready, read the Sandbox,
 * store the token Secret, hand the token to the pod, connect, one write), against one write on a
 * sandbox already claimed, in the same run. The simulated controller answers at once, so this is
 * our part, not a real controller's scheduling. Run with
 * {@code mvn -o -pl sandbox-kubernetes -am verify -Dtest=ClaimOverheadMeasurement -Dsurefire.failIfNoSpecifiedTests=false -Dchatbuilder.measure=true}.
 */
@EnabledIfSystemProperty(named = "chatbuilder.measure", matches = "true")
class ClaimOverheadMeasurement {
  private static final int WARMUP = 5;
  private static final int RUNS = 30;

  @TempDir Path dir;

  @Test
  void claimToFirstFileOperation() throws Exception {
    SimulatedCluster.requireIsolation(dir);
    byte[] content = "<h1>hi</h1>\n".getBytes(StandardCharsets.UTF_8);
    try (SimulatedCluster cluster = new SimulatedCluster(dir, 1)) {
      KubernetesSandboxProvider provider = cluster.start(cluster.provider("bench"));
      long[] claim = new long[RUNS];
      long[] warm = new long[RUNS];
      for (int i = 0; i < WARMUP + RUNS; i++) {
        awaitFreePod(cluster);
        long t0 = System.nanoTime();
        Sandbox s = provider.open("app-" + i);
        s.write("index.html", content);
        long t1 = System.nanoTime();
        s.write("other.html", content);
        long t2 = System.nanoTime();
        if (i >= WARMUP) {
          claim[i - WARMUP] = t1 - t0;
          warm[i - WARMUP] = t2 - t1;
        }
        s.close();
      }
      System.out.println(String.format(Locale.ROOT,
          "[sandbox-kubernetes] claim -> first write: median %.1f ms, p90 %.1f ms, max %.1f ms; write on a claimed sandbox: median %.2f ms (%d runs)",
          ms(pct(claim, 50)), ms(pct(claim, 90)), ms(pct(claim, 100)), ms(pct(warm, 50)), RUNS));
    }
  }

  private static void awaitFreePod(SimulatedCluster cluster) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      SandboxWarmPool p = cluster.client.resources(SandboxWarmPool.class).inNamespace(SimulatedCluster.NAMESPACE)
          .withName(SimulatedCluster.POOL).get();
      if (p.getStatus() != null && p.getStatus().readyReplicas() == 1 && cluster.claims().isEmpty()) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the simulated pool did not refill");
  }

  private static long pct(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1));
    return sorted[i];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
