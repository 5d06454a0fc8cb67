package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input gets a clear error and writes nothing; paths that differ only subtly stay distinct. */
class JdbcHostileInputTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void badInputIsRefusedAndSubtlyDifferentPathsStayDistinct(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      CheckpointStore store = TestDatabases.stores(dataSource, prefix).checkpointStore();
      String app = "app-" + UUID.randomUUID();
      for (String path : new String[] {"", "a".repeat(701), "nul\0byte.txt"}) {
        assertThatThrownBy(() -> store.append(JdbcConcurrencyTest.draft(app, Optional.empty(), Optional.empty(),
            Map.of(path, JdbcConcurrencyTest.bytes("x")), "bad")))
            .as("path of length %d", path.length()).isInstanceOf(InvalidArgumentException.class);
      }
      assertThatThrownBy(() -> store.append(JdbcConcurrencyTest.draft("x".repeat(256), Optional.empty(),
          Optional.empty(), Map.of("a", JdbcConcurrencyTest.bytes("x")), "bad")))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> store.append(JdbcConcurrencyTest.draft(app, Optional.empty(), Optional.empty(),
          Map.of("a", JdbcConcurrencyTest.bytes("x")), "label with \0")))
          .isInstanceOf(InvalidArgumentException.class);
      assertThat(store.head(app)).isEmpty();
      assertThat(store.apps()).doesNotContain(app);
      assertThatThrownBy(() -> store.list(app, -1, Optional.empty())).isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> store.list(app, 5, Optional.of("nope"))).isInstanceOf(NotFoundException.class);

      // Case, trailing spaces, Unicode normalization forms and a 700-character path are all distinct files.
      Map<String, byte[]> files = new LinkedHashMap<>();
      files.put("A.txt", JdbcConcurrencyTest.bytes("upper"));
      files.put("a.txt", JdbcConcurrencyTest.bytes("lower"));
      files.put("a.txt ", JdbcConcurrencyTest.bytes("trailing space"));
      files.put("caf\u00e9.txt", JdbcConcurrencyTest.bytes("composed"));
      files.put("cafe\u0301.txt", JdbcConcurrencyTest.bytes("decomposed"));
      files.put("😀/emoji.txt", JdbcConcurrencyTest.bytes("astral"));
      files.put("d/".repeat(349) + "x", JdbcConcurrencyTest.bytes("deep"));
      Checkpoint c = store.append(JdbcConcurrencyTest.draft(app, Optional.empty(), Optional.empty(), files, "paths"));
      assertThat(store.revision(c.resultRevisionId()).files()).hasSize(files.size());
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        assertThat(store.readFile(c.resultRevisionId(), e.getKey())).as(e.getKey())
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(e.getValue()));
      }
      assertThat(store.readFile(c.resultRevisionId(), "a.TXT")).isEmpty();

      // A blob whose stored bytes were altered is reported, not returned.
      byte[] big = JdbcConcurrencyTest.bytes("compressible line\n".repeat(100));
      Checkpoint withBig = store.append(JdbcConcurrencyTest.draft(app, Optional.of(c.id()),
          Optional.of(c.resultRevisionId()), Map.of("big.txt", big), "big"));
      assertThat(store.readFile(withBig.resultRevisionId(), "big.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
      try (Connection connection = dataSource.getConnection(); PreparedStatement s = connection.prepareStatement(
          "UPDATE " + prefix + "blobs SET data = ? WHERE id = ?")) {
        s.setBytes(1, new byte[] {1, 2, 3});
        s.setString(2, store.blobIdOf(big));
        assertThat(s.executeUpdate()).isEqualTo(1);
      }
      assertThatThrownBy(() -> store.readBlob(store.blobIdOf(big)))
          .isInstanceOf(StoreException.class).hasMessageContaining("corrupt");
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }
}
