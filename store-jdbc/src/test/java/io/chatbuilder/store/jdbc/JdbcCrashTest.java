package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.Revision;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM appends checkpoints to an H2 file database and is killed with SIGKILL at a random
 * moment, 50 times (a few times even before it finished opening the store). After every kill the
 * store opens and validates its schema, the history is one linear chain, and every listed
 * checkpoint reads back byte for byte; every checkpoint the child saw acknowledged is listed.
 */
class JdbcCrashTest {
  private static final int KILLS = 50;

  @Test
  void killedWriterLeavesOnlyWholeCheckpoints(@TempDir Path directory) throws Exception {
    Path database = directory.resolve("crash");
    Random random = new Random();
    Set<String> acked = new HashSet<>();
    int lastCount = 0;
    int grew = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
          CrashWorkload.class.getName(), database.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      // Kill once the child has acknowledged a random number (0-3) of checkpoints, plus a random
      // delay, so kills land all over the write path whatever the machine's speed.
      int ackedBeforeKill = random.nextInt(4);
      CountDownLatch killPoint = new CountDownLatch(1);
      AtomicInteger ackedNow = new AtomicInteger();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            lines.add(line);
            if ((line.equals("ready") && ackedBeforeKill == 0)
                || (line.startsWith("acked ") && ackedNow.incrementAndGet() >= ackedBeforeKill)) {
              killPoint.countDown();
            }
          }
        } catch (Exception e) {
          // the pipe closes when the child dies
        } finally {
          killPoint.countDown();
        }
      });
      reader.start();
      if (kill % 10 == 3) {
        Thread.sleep(random.nextInt(400)); // sometimes while the JVM starts or the schema opens
      } else {
        assertThat(killPoint.await(60, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(random.nextInt(40));
      }
      child.destroyForcibly(); // SIGKILL on Linux
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      reader.join(10_000);
      synchronized (lines) {
        for (String line : lines) {
          if (line.startsWith("acked ")) {
            acked.add(line.substring(6));
          }
        }
      }
      int count = verify(database, acked);
      if (count > lastCount) {
        grew++;
      }
      lastCount = count;
    }
    System.out.printf("crash test: %d kills, %d checkpoints survived, %d acknowledged, history grew after %d kills%n",
        KILLS, lastCount, acked.size(), grew);
    assertThat(grew).as("the child made progress between kills").isGreaterThan(KILLS / 4);
  }

  /** Opens the store like a restarted host and checks everything; returns the number of checkpoints. */
  private static int verify(Path database, Set<String> acked) throws Exception {
    if (!Files.exists(database.resolveSibling(database.getFileName() + ".mv.db"))) {
      return 0;
    }
    SimpleDataSource dataSource = TestDatabases.h2File(database);
    try {
      CheckpointStore store = JdbcStores.builder(dataSource).build().checkpointStore();
      List<Checkpoint> history = new ArrayList<>(store.list(CrashWorkload.APP, Integer.MAX_VALUE, Optional.empty()));
      Collections.reverse(history);
      SortedMap<String, byte[]> expected = new TreeMap<>();
      Set<String> ids = new HashSet<>();
      Set<String> blobsRead = new HashSet<>();
      for (int i = 0; i < history.size(); i++) {
        Checkpoint c = history.get(i);
        long n = i + 1;
        ids.add(c.id());
        assertThat(c.label()).isEqualTo("checkpoint " + n);
        assertThat(c.parentId()).isEqualTo(i == 0 ? Optional.empty() : Optional.of(history.get(i - 1).id()));
        CrashWorkload.apply(expected, n);
        Revision revision = store.revision(c.resultRevisionId());
        assertThat(revision.files().keySet()).as("files of checkpoint %d", n).containsExactlyElementsOf(expected.keySet());
        for (var e : expected.entrySet()) {
          // Each distinct blob is read back once per kill and compared byte for byte.
          String blobId = revision.files().get(e.getKey()).blobId();
          assertThat(blobId).isEqualTo(store.blobIdOf(e.getValue()));
          if (blobsRead.add(blobId)) {
            assertThat(store.readBlob(blobId)).as("%s at checkpoint %d", e.getKey(), n).isEqualTo(e.getValue());
          }
        }
      }
      if (!history.isEmpty()) {
        String newest = history.get(history.size() - 1).resultRevisionId();
        for (var e : expected.entrySet()) {
          assertThat(store.readFile(newest, e.getKey())).hasValueSatisfying(b -> assertThat(b).isEqualTo(e.getValue()));
        }
      }
      assertThat(store.head(CrashWorkload.APP)).isEqualTo(history.isEmpty() ? Optional.empty()
          : Optional.of(history.get(history.size() - 1)));
      assertThat(ids).as("every acknowledged checkpoint survived the kill").containsAll(acked);
      return history.size();
    } finally {
      dataSource.closeIdle();
    }
  }
}
