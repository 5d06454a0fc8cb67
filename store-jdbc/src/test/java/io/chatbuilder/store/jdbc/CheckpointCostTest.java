package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.Revision;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A checkpoint's cost grows with what changed, not with the app: 100 checkpoints that each change
 * one file of a generated app write a bounded number of entry rows (asserted), and the bytes they
 * add are printed next to the raw size of the changed files, with the time per checkpoint
 * (printed only; speed belongs to the bench module). Runs on H2 in memory; set
 * {@code -Dcb.cost.database=postgresql} (or mariadb) to measure a server.
 */
class CheckpointCostTest {
  private static final int CHECKPOINTS = 100;

  @ParameterizedTest
  @ValueSource(ints = {1_000, 10_000})
  void oneFileChangesCostO1RowsWhateverTheAppSize(int appFiles) throws Exception {
    String database = System.getProperty("cb.cost.database", "h2");
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      CheckpointStore store = TestDatabases.stores(dataSource, prefix).checkpointStore();
      String app = "app-" + UUID.randomUUID();
      Random random = new Random(1);
      SortedMap<String, byte[]> model = new TreeMap<>();
      for (int i = 0; i < appFiles; i++) {
        model.put("src/dir" + (i % 100) + "/component" + i + ".jsx", source(random, i, 0));
      }
      Checkpoint head = store.append(JdbcConcurrencyTest.draft(app, Optional.empty(), Optional.empty(), model, "initial"));
      long[] before = usage(dataSource, prefix);

      List<String> paths = new ArrayList<>(model.keySet());
      long rawChanged = 0;
      long nanos = 0;
      for (int n = 1; n <= CHECKPOINTS; n++) {
        String path = paths.get(random.nextInt(paths.size()));
        byte[] content = source(random, random.nextInt(1_000_000), n);
        rawChanged += content.length;
        model.put(path, content);
        Map<String, byte[]> change = new HashMap<>();
        change.put(path, content);
        long start = System.nanoTime();
        head = store.append(JdbcConcurrencyTest.draft(app, Optional.of(head.id()), Optional.of(head.resultRevisionId()),
            change, "change " + n));
        nanos += System.nanoTime() - start;
      }
      long[] after = usage(dataSource, prefix);
      long entryRows = after[0] - before[0];
      long entryBytes = after[1] - before[1];
      long blobBytes = after[2] - before[2];
      long otherBytes = after[3] - before[3];

      long readStart = System.nanoTime();
      Revision last = store.revision(head.resultRevisionId());
      long readNanos = System.nanoTime() - readStart;
      assertThat(last.files()).hasSize(appFiles);
      for (Map.Entry<String, byte[]> e : model.entrySet()) {
        FileRef ref = last.files().get(e.getKey());
        assertThat(ref.blobId()).isEqualTo(store.blobIdOf(e.getValue()));
      }
      // Skip-deltas: 100 one-file checkpoints write about sum(lowest-bit(d)) ~ 100 * log2(100) / 2 entries,
      // never a copy of the app (that would be 100 * appFiles).
      assertThat(entryRows).isLessThan(CHECKPOINTS * 8L);

      System.out.printf("cost[%s, %d files]: %d checkpoints changing 1 file each: raw changed bytes %d;"
              + " stored: blobs %d B, revision entries %d rows / %d B, revision+checkpoint rows %d B;"
              + " total %d B (%.2fx raw); %.2f ms per checkpoint; full revision read %.1f ms%n",
          database, appFiles, CHECKPOINTS, rawChanged, blobBytes, entryRows, entryBytes, otherBytes,
          blobBytes + entryBytes + otherBytes, (double) (blobBytes + entryBytes + otherBytes) / rawChanged,
          nanos / 1e6 / CHECKPOINTS, readNanos / 1e6);
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  /** A plausible ~300-600 byte React component. */
  private static byte[] source(Random random, int id, int version) {
    StringBuilder s = new StringBuilder();
    s.append("import React from 'react';\n\nexport default function Component").append(id).append("() {\n");
    int lines = 4 + random.nextInt(8);
    for (int i = 0; i < lines; i++) {
      s.append("  const value").append(i).append(" = useState(").append(random.nextInt(1000)).append(");\n");
    }
    s.append("  return <div className=\"c").append(id).append(" v").append(version).append("\">{value0}</div>;\n}\n");
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Entry rows, entry bytes, blob bytes, revision + checkpoint bytes (logical: column octets). */
  private static long[] usage(SimpleDataSource dataSource, String prefix) throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      long[] out = new long[4];
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(revision_id) + OCTET_LENGTH(path)"
          + " + COALESCE(OCTET_LENGTH(blob_id), 0) + 8), 0) FROM " + prefix + "revision_entries")) {
        rs.next();
        out[0] = rs.getLong(1);
        out[1] = rs.getLong(2);
      }
      try (ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(OCTET_LENGTH(data) + OCTET_LENGTH(id) + 10), 0) FROM "
          + prefix + "blobs")) {
        rs.next();
        out[2] = rs.getLong(1);
      }
      try (ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(OCTET_LENGTH(id) + COALESCE(OCTET_LENGTH(base_id), 0)"
          + " + OCTET_LENGTH(read_path) + 20), 0) FROM " + prefix + "revisions")) {
        rs.next();
        out[3] = rs.getLong(1);
      }
      try (ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(OCTET_LENGTH(app_id) + OCTET_LENGTH(id)"
          + " + COALESCE(OCTET_LENGTH(parent_id), 0) + OCTET_LENGTH(revision_id) + OCTET_LENGTH(checkpoint_type)"
          + " + OCTET_LENGTH(checkpoint_label) + OCTET_LENGTH(tool_summary) + 80), 0) FROM " + prefix + "checkpoints")) {
        rs.next();
        out[3] += rs.getLong(1);
      }
      return out;
    }
  }
}
