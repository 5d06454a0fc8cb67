package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host JVMs ({@link KillHost}) on real PostgreSQL, killed with SIGKILL at random moments 30 times
 * during an undo of 2,000 files (each started while the round before it is checked, idle until told
 * to act); this JVM is the next host on the same app (one shared workspace directory). After each
 * kill the undo is completed by the next host or was never begun, never recorded as edits made
 * outside the agent. Its own class so that surefire runs it beside {@link KillHostTest}.
 */
class KillHostUndoTest {
  private static final int KILLS = 30;
  private static final String DATABASE = "postgresql";

  @Test
  void aHostKilledDuringAnUndoOf2000FilesLeavesAnUndoTheNextHostCompletesOrNeverBegan(@TempDir Path tmp) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(DATABASE);
    String prefix = TestDatabases.uniquePrefix();
    JdbcStores stores = TestDatabases.stores(dataSource, prefix);
    String app = "killed-undos";
    Path dir = Files.createDirectories(tmp.resolve("workspace"));
    Random random = new Random();
    int completed = 0;
    int neverBegan = 0;
    Sandbox sandbox = LocalSandbox.builder(dir).id(app).build();
    try (ChatBuilder survivor = KillHost.builder(stores, sandbox, "survivor").build()) {
      CheckpointStore store = stores.checkpointStore();
      // v0 is the app's initial files, the person's change rewrites all 2,000 to v1.
      for (int i = 0; i < KillHost.FILES; i++) {
        sandbox.write("src/d" + (i % 20) + "/f" + i + ".txt", KillHost.content("v0", i));
      }
      survivor.initialize(app);
      RunResult change = survivor.chat(app, "rewrite all v1").completion().get(120, TimeUnit.SECONDS);
      assertThat(change.outcome()).isEqualTo(RunOutcome.COMPLETED);
      // How long an undo takes here, from the child's "undoing" to its end: kills are spread over it.
      KillHost.Child calibration = KillHost.Child.start(tmp, "undo", DATABASE, prefix, app, dir.toString(), "15000");
      calibration.go("");
      calibration.await("undoing");
      long started = System.nanoTime();
      calibration.await("undone");
      long undoMillis = Math.max(50, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      assertThat(calibration.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      survivor.redo(app);
      KillHost.Child nextHost = KillHost.Child.start(tmp, "undo", DATABASE, prefix, app, dir.toString());
      for (int round = 0; round < KILLS; round++) {
        Checkpoint before = store.head(app).orElseThrow();
        KillHost.Child child = nextHost;
        child.go("");
        child.await("undoing");
        Thread.sleep(random.nextInt((int) undoMillis));
        child.kill();
        // The next host boots while this round is checked; it touches the app only when told.
        nextHost = round + 1 < KILLS ? KillHost.Child.start(tmp, "undo", DATABASE, prefix, app, dir.toString()) : null;
        Checkpoint left = store.head(app).orElseThrow();
        boolean appended = !left.id().equals(before.id());
        if (appended) {
          assertThat(left.type()).isEqualTo(CheckpointType.UNDO);
          completed++;
        } else {
          neverBegan++;
        }
        // The person's next undo: finishes the killed one if it was appended, else undoes the change.
        try {
          KillHost.untilFree(() -> survivor.undo(app));
          assertThat(appended).as("undo after a killed undo that never began").isFalse();
        } catch (NothingToDoException e) {
          assertThat(appended).as("nothing to undo only if the killed undo was completed").isTrue();
        }
        Checkpoint head = store.head(app).orElseThrow();
        assertThat(store.diff(head.resultRevisionId(), store.list(app, Integer.MAX_VALUE, Optional.empty())
            .stream().filter(c -> c.type() == CheckpointType.INITIAL).findFirst().orElseThrow().resultRevisionId()))
            .as("after round %d the files are the initial ones", round).isEmpty();
        KillHost.assertWorkspaceEqualsHead(store, head, dir);
        assertThat(store.list(app, Integer.MAX_VALUE, Optional.empty())).extracting(Checkpoint::type)
            .doesNotContain(CheckpointType.MANUAL);
        survivor.redo(app); // back to v1 for the next round
        KillHost.assertWorkspaceEqualsHead(store, store.head(app).orElseThrow(), dir);
      }
      assertThat(stores.leaseStore().intent(app)).isEmpty();
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
    System.out.printf("%d hosts killed during an undo of %d files on %s: %d undos completed by the next host,"
        + " %d had not begun%n", KILLS, KillHost.FILES, DATABASE, completed, neverBegan);
    assertThat(neverBegan).as("kills that hit an undo before its checkpoint").isPositive();
    assertThat(completed).as("kills that hit an undo after its checkpoint").isPositive();
  }

}
