package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.ForkDraft;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fork costs O(1) storage: forking an app of 2,000 files adds one head row and one checkpoint row
 * and nothing else (no revision, entry or blob row), measured as {@link CheckpointCostTest} does
 * (rows and logical column octets of every data table, before and after). The same app's initial
 * import is measured next to it for scale.
 */
class ForkCostTest {
  private static final int FILES = 2_000;

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void forkingA2000FileAppAddsTwoSmallRows(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      CheckpointStore store = TestDatabases.stores(dataSource, prefix).checkpointStore();
      String source = "app-" + UUID.randomUUID();
      SortedMap<String, byte[]> files = new TreeMap<>();
      for (int i = 0; i < FILES; i++) {
        files.put("src/dir" + (i % 50) + "/component" + i + ".jsx",
            ("export default function C" + i + "() { return <div>" + i + "</div>; }\n").getBytes(StandardCharsets.UTF_8));
      }
      Usage empty = usage(dataSource, prefix);
      Checkpoint initial = store.append(JdbcConcurrencyTest.draft(source, Optional.empty(), Optional.empty(), files, "initial"));
      Usage imported = usage(dataSource, prefix);

      String fork = "app-" + UUID.randomUUID();
      Checkpoint forked = store.fork(new ForkDraft(fork, source, initial.id(), "Fork of " + source, 0,
          new ChangeStats(FILES, 0, 0, 0, FILES, 0, 0), Instant.now()));
      Usage after = usage(dataSource, prefix);

      assertThat(store.revision(forked.resultRevisionId()).files()).hasSize(FILES);
      assertThat(after.entryRows).as("revision entries").isEqualTo(imported.entryRows);
      assertThat(after.revisionRows).as("revisions").isEqualTo(imported.revisionRows);
      assertThat(after.blobRows).as("blobs").isEqualTo(imported.blobRows);
      assertThat(after.blobBytes).isEqualTo(imported.blobBytes);
      assertThat(after.checkpointRows - imported.checkpointRows).isEqualTo(1);
      assertThat(after.headRows - imported.headRows).isEqualTo(1);
      long forkBytes = after.total() - imported.total();
      long importBytes = imported.total() - empty.total();
      // ids, app ids, label and fixed-width columns of two rows; independent of the app's size
      assertThat(forkBytes).isLessThan(1_000);
      System.out.printf("fork cost[%s, %d files]: import %d B (%d entry rows, %d blob rows); fork %d B"
              + " (+%d checkpoint row, +%d head row, +0 entries, +0 blobs)%n",
          database, FILES, importBytes, imported.entryRows - empty.entryRows, imported.blobRows - empty.blobRows,
          forkBytes, after.checkpointRows - imported.checkpointRows, after.headRows - imported.headRows);
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  record Usage(long entryRows, long entryBytes, long revisionRows, long revisionBytes, long blobRows, long blobBytes,
      long checkpointRows, long checkpointBytes, long headRows, long headBytes) {
    long total() {
      return entryBytes + revisionBytes + blobBytes + checkpointBytes + headBytes;
    }
  }

  /** Rows and logical bytes (column octets plus a fixed amount for numeric columns) per table. */
  static Usage usage(SimpleDataSource dataSource, String prefix) throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      long[] entries = query(s, "SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(revision_id) + OCTET_LENGTH(path)"
          + " + COALESCE(OCTET_LENGTH(blob_id), 0) + 8), 0) FROM " + prefix + "revision_entries");
      long[] revisions = query(s, "SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(id) + COALESCE(OCTET_LENGTH(base_id), 0)"
          + " + OCTET_LENGTH(read_path) + 20), 0) FROM " + prefix + "revisions");
      long[] blobs = query(s, "SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(data) + OCTET_LENGTH(id) + 10), 0) FROM "
          + prefix + "blobs");
      long[] checkpoints = query(s, "SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(app_id) + OCTET_LENGTH(id)"
          + " + COALESCE(OCTET_LENGTH(parent_id), 0) + OCTET_LENGTH(revision_id) + OCTET_LENGTH(checkpoint_type)"
          + " + OCTET_LENGTH(checkpoint_label) + OCTET_LENGTH(tool_summary)"
          + " + COALESCE(OCTET_LENGTH(source_checkpoint_id), 0) + COALESCE(OCTET_LENGTH(source_app_id), 0) + 80), 0) FROM "
          + prefix + "checkpoints");
      long[] heads = query(s, "SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(app_id) + OCTET_LENGTH(head_id) + 8), 0) FROM "
          + prefix + "app_heads");
      return new Usage(entries[0], entries[1], revisions[0], revisions[1], blobs[0], blobs[1], checkpoints[0],
          checkpoints[1], heads[0], heads[1]);
    }
  }

  private static long[] query(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }
}
