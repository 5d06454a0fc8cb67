package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.sandbox.Sandbox;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two LocalSandbox objects on one shared app directory (two hosts) agree on the highest fencing token. */
class FencingAcrossInstancesTest {

  @Test
  void aTokenSeenByOneInstanceFencesTheOther(@TempDir Path dir) {
    Path root = dir.resolve("app");
    try (LocalSandbox hostA = LocalSandbox.builder(root).build();
        LocalSandbox hostB = LocalSandbox.builder(root).build()) {
      Sandbox a = hostA.fenced(5);
      a.write("src/a.txt", utf8("from A"));
      Sandbox b = hostB.fenced(6);
      b.write("src/b.txt", utf8("from B"));

      assertThatThrownBy(() -> a.write("src/a.txt", utf8("late A"))).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> a.delete("src/b.txt")).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> a.rename("src/b.txt", "src/c.txt")).isInstanceOf(LeaseLostException.class);
      assertThatThrownBy(() -> hostB.fenced(5).write("src/a.txt", utf8("late"))).isInstanceOf(LeaseLostException.class);
      assertThat(hostB.read("src/a.txt").text()).contains("from A");
      assertThat(hostA.read("src/b.txt").text()).contains("from B");
      assertThat(hostA.files()).containsOnlyKeys("src/a.txt", "src/b.txt");

      // The token file lives outside the app files: never listed, never checkpointed.
      assertThat(hostA.stateDirectory()).isEqualTo(hostB.stateDirectory());
      assertThat(hostA.stateDirectory().startsWith(hostA.root())).isFalse();
      assertThat(hostA.stateDirectory().resolve("fencing-token")).hasContent("6");
    }
    // A reopened sandbox (a restarted host) still remembers.
    try (LocalSandbox again = LocalSandbox.builder(root).build()) {
      assertThatThrownBy(() -> again.fenced(5).write("src/a.txt", utf8("late"))).isInstanceOf(LeaseLostException.class);
      again.fenced(7).write("src/a.txt", utf8("seven"));
    }
  }

  /** Racing holders: once a write with token n+1 is done, no write with token n lands. */
  @Test
  void concurrentHoldersOnTwoInstancesNeverLetAStaleWriteLandAfterANewerOne(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("app");
    try (LocalSandbox hostA = LocalSandbox.builder(root).build();
        LocalSandbox hostB = LocalSandbox.builder(root).build()) {
      AtomicInteger refused = new AtomicInteger();
      for (int round = 1; round <= 20; round++) {
        int token = round * 2;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        String[] lastLanded = new String[1];
        for (int w = 0; w < 2; w++) {
          LocalSandbox host = w == 0 ? hostA : hostB;
          long t = token + w; // B holds the newer lease
          Thread thread = new Thread(() -> {
            try {
              go.await();
              Sandbox view = host.fenced(t);
              for (int i = 0; i < 20; i++) {
                view.write("src/x.txt", utf8(t + ":" + i));
              }
            } catch (LeaseLostException e) {
              refused.incrementAndGet();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
          thread.start();
          threads.add(thread);
        }
        go.countDown();
        for (Thread t : threads) {
          t.join();
        }
        lastLanded[0] = hostA.read("src/x.txt").text().orElseThrow();
        // Whatever interleaving happened, the newer holder's last write is the final content.
        assertThat(lastLanded[0]).as("round %d", round).isEqualTo((token + 1) + ":19");
      }
      System.out.printf("fencing race: 20 rounds, stale holder refused in %d%n", refused.get());
    }
  }

  @Test
  void aStaleWriterInAnotherProcessIsRefused(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("app");
    try (LocalSandbox host = LocalSandbox.builder(root).build()) {
      host.fenced(9).write("src/a.txt", utf8("nine"));
      assertThat(runChild(root, 8, "src/a.txt", "eight")).isEqualTo("lost");
      assertThat(host.read("src/a.txt").text()).contains("nine");
      assertThat(runChild(root, 10, "src/a.txt", "ten")).isEqualTo("ok");
      assertThatThrownBy(() -> host.fenced(9).write("src/a.txt", utf8("late"))).isInstanceOf(LeaseLostException.class);
      assertThat(host.read("src/a.txt").text()).contains("ten");
    }
    assertThat(Files.exists(root.resolve("fencing-token"))).isFalse();
  }

  private static String runChild(Path root, long token, String path, String text) throws Exception {
    Process child = KilledWriter.command("fence", root.toString(), Long.toString(token), path, text).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return line;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
