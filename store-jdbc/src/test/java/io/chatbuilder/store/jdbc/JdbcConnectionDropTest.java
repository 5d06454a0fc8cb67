package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server ends the connection in the middle of an append (PostgreSQL {@code pg_terminate_backend},
 * MariaDB {@code KILL CONNECTION}), before each statement of the transaction in turn and before the
 * commit. Every time, the store holds either the whole checkpoint or nothing of it.
 */
class JdbcConnectionDropTest {

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void droppedConnectionLeavesTheWholeCheckpointOrNone(String database) throws Exception {
    SimpleDataSource plain = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    AtomicInteger killAt = new AtomicInteger(-1);
    try {
      TestDatabases.stores(plain, prefix);
      CheckpointStore store = JdbcStores.builder(killing(plain, database, killAt)).tablePrefix(prefix)
          .dialect(database.equals("postgresql") ? Dialect.POSTGRESQL : Dialect.MARIADB)
          .schemaMode(SchemaMode.SKIP).build().checkpointStore();
      CheckpointStore observer = JdbcStores.builder(plain).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE)
          .build().checkpointStore();
      String app = "app-" + UUID.randomUUID();
      Checkpoint head = observer.append(JdbcConcurrencyTest.draft(app, Optional.empty(), Optional.empty(),
          Map.of("a.txt", JdbcConcurrencyTest.bytes("first")), "initial"));

      int dropped = 0;
      for (int point = 1; ; point++) {
        String unique = "content " + UUID.randomUUID();
        long revisionsBefore = count(plain, prefix + "revisions");
        killAt.set(point);
        Checkpoint landed = null;
        try {
          landed = store.append(JdbcConcurrencyTest.draft(app, Optional.of(head.id()),
              Optional.of(head.resultRevisionId()), Map.of("a.txt", JdbcConcurrencyTest.bytes(unique),
                  "b/" + point + ".txt", JdbcConcurrencyTest.bytes(unique + "!")), "point " + point));
        } catch (StoreException e) {
          dropped++;
        } finally {
          killAt.set(-1);
        }
        List<Checkpoint> history = observer.list(app, 1000, Optional.empty());
        if (landed == null) {
          // None of it: head, history, revisions and blobs are as before.
          assertThat(observer.head(app)).contains(head);
          assertThat(history.get(0)).isEqualTo(head);
          assertThat(count(plain, prefix + "revisions")).isEqualTo(revisionsBefore);
          assertThatThrownBy(() -> observer.readBlob(observer.blobIdOf(JdbcConcurrencyTest.bytes(unique))))
              .isInstanceOf(NotFoundException.class);
          // The writer can carry on with the head it had.
        } else {
          assertThat(observer.head(app)).contains(landed);
          assertThat(history.get(0)).isEqualTo(landed);
          assertThat(observer.readFile(landed.resultRevisionId(), "a.txt"))
              .hasValueSatisfying(b -> assertThat(b).isEqualTo(JdbcConcurrencyTest.bytes(unique)));
          head = landed;
          break; // the kill point lies past the end of the transaction
        }
      }
      assertThat(dropped).as("kill points inside the transaction").isGreaterThanOrEqualTo(5);
    } finally {
      TestDatabases.dropTables(plain, prefix);
    }
  }

  private static long count(SimpleDataSource dataSource, String table) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Hands out connections that count the statements prepared inside a transaction (and the commit)
   * and, at number {@code killAt}, have the server terminate them first.
   */
  private static javax.sql.DataSource killing(SimpleDataSource plain, String database, AtomicInteger killAt) {
    return new DelegatingDataSource(plain) {
      @Override
      public Connection getConnection() throws SQLException {
        Connection real = java.sql.DriverManager.getConnection(plain.url(),
            database.equals("postgresql") ? "postgres" : "root", "");
        long id;
        try (Statement s = real.createStatement(); ResultSet rs = s.executeQuery(
            database.equals("postgresql") ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()")) {
          rs.next();
          id = rs.getLong(1);
        }
        AtomicInteger seen = new AtomicInteger();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              String name = method.getName();
              if ((name.equals("prepareStatement") || name.equals("commit")) && !real.getAutoCommit()
                  && seen.incrementAndGet() == killAt.get()) {
                try (Connection admin = plain.getConnection(); Statement s = admin.createStatement()) {
                  s.execute(database.equals("postgresql") ? "SELECT pg_terminate_backend(" + id + ")"
                      : "KILL CONNECTION " + id);
                }
                Thread.sleep(50); // let the server finish closing the session
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
      }
    };
  }

  /** A DataSource that forwards everything but getConnection(). */
  private abstract static class DelegatingDataSource implements javax.sql.DataSource {
    private final SimpleDataSource delegate;

    DelegatingDataSource(SimpleDataSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public java.io.PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() {
      return java.util.logging.Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
