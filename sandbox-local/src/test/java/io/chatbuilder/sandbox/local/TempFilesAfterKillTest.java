package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write killed mid-way (SIGKILL of its JVM) leaves a temporary file; the next open removes it,
 * and only temporary files of dead owners: never the app's files, never names of another pattern,
 * never the in-flight files of a sandbox that is still open.
 */
class TempFilesAfterKillTest {

  @Test
  void theNextOpenRemovesTheTemporaryFileOfAWriterKilledAtItsCommit(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("app");
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/keep.txt"), "app file");
    // Not our pattern: an app's own file that merely looks similar stays.
    Files.writeString(root.resolve("src/" + ConfinedFiles.TEMP_PREFIX + "notours"), "similar");

    try (LocalSandbox alive = LocalSandbox.builder(root).build()) {
      // A temporary file of a sandbox that is still open (another host's write in flight) stays.
      Path inFlight = root.resolve("src/" + ConfinedFiles.TEMP_PREFIX + ownerOf(alive) + "-0123456789abcdef");
      Files.writeString(inFlight, "in flight");

      Process child = KilledWriter.command("block", root.toString()).start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        assertThat(out.readLine()).isEqualTo("committing src/big.txt");
      }
      List<Path> leftBehind = ownTemps(root);
      assertThat(leftBehind).as("the child died with its temporary file on disk").hasSize(2); // its own + in flight
      child.destroyForcibly(); // SIGKILL on Linux
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(ownTemps(root)).hasSize(2);

      try (LocalSandbox next = LocalSandbox.builder(root).build()) {
        assertThat(ownTemps(root)).containsExactly(inFlight);
        assertThat(next.tryRead("src/big.txt")).isEmpty();
        assertThat(next.read("src/keep.txt").text()).contains("app file");
        assertThat(Files.readString(root.resolve("src/" + ConfinedFiles.TEMP_PREFIX + "notours"))).isEqualTo("similar");
        assertThat(next.files()).containsOnlyKeys("src/keep.txt");
      }
    }
  }

  @Test
  void writersKilledAtRandomMomentsLeaveNothingAfterTheNextOpen(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("app");
    Random random = new Random(42);
    int sawTemp = 0;
    for (int kill = 0; kill < 10; kill++) {
      Process child = KilledWriter.command("loop", root.toString()).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      int target = 5 + random.nextInt(40);
      for (int i = 0; i <= target; i++) {
        assertThat(out.readLine()).startsWith("wrote ");
      }
      // Land somewhere inside the next write (a 256 KiB write takes about a millisecond).
      TimeUnit.MICROSECONDS.sleep(random.nextInt(1500));
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      out.close();
      if (!ownTemps(root).isEmpty()) {
        sawTemp++;
      }
      try (LocalSandbox next = LocalSandbox.builder(root).build()) {
        assertThat(ownTemps(root)).as("kill %d", kill).isEmpty();
        try (Stream<Path> owners = Files.list(next.stateDirectory().resolve("owners"))) {
          assertThat(owners.count()).as("the killed writer's owner file is gone").isEqualTo(1);
        }
        for (String path : next.files().keySet()) {
          assertThat(next.read(path).size()).as("%s is whole", path).isEqualTo(256 * 1024);
        }
      }
    }
    System.out.printf("temp files: 10 kills, %d left a temporary file, all removed by the next open%n", sawTemp);
  }

  static String ownerOf(LocalSandbox sandbox) throws IOException {
    try (Stream<Path> owners = Files.list(sandbox.stateDirectory().resolve("owners"))) {
      List<String> names = owners.map(p -> p.getFileName().toString()).toList();
      // The newest owner file is this sandbox's; tests open it first, so there is one.
      assertThat(names).hasSize(1);
      return names.get(0);
    }
  }

  static List<Path> ownTemps(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> SandboxState.OWN_TEMP.matcher(p.getFileName().toString()).matches()).sorted().toList();
    }
  }
}
