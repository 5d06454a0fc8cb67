package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.json.JsonCodec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint store, event log and conversation store of ChatBuilder on one JDBC database (H2,
 * PostgreSQL or MariaDB). Many hosts may share the database: appends are compare-and-set
 * transactions, and no connection is held between calls.
 *
 * <pre>{@code
 * JdbcStores stores = JdbcStores.builder(dataSource)   // the host's pool
 *     .tablePrefix("cb_")
 *     .schemaMode(SchemaMode.CREATE)
 *     .build();                                        // migrates (one node at a time) and validates
 * CheckpointStore checkpoints = stores.checkpointStore();
 * }</pre>
 */
public final class JdbcStores {
  private static final Logger log = LoggerFactory.getLogger(JdbcStores.class);

  private final Dialect dialect;
  private final String tablePrefix;
  private final JdbcCheckpointStore checkpointStore;
  private final EventLog eventLog;
  private final ConversationStore conversationStore;
  private final AppEventLog appEventLog;

  private JdbcStores(Builder builder, Dialect dialect) {
    this.dialect = dialect;
    this.tablePrefix = builder.tablePrefix;
    Tables tables = new Tables(builder.tablePrefix);
    Transactions transactions = new Transactions(builder.dataSource, builder.retryPolicy);
    JsonCodec codec = new JsonCodec();
    this.checkpointStore = new JdbcCheckpointStore(transactions, dialect, tables, codec);
    this.eventLog = new JdbcEventLog(transactions, tables, codec);
    this.conversationStore = new JdbcConversationStore(transactions, tables, codec);
    this.appEventLog = new JdbcAppEventLog(transactions, tables, codec);
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  public CheckpointStore checkpointStore() {
    return checkpointStore;
  }

  /**
   * The apps' leases, in the same database: the same object as {@link #checkpointStore()}, whose
   * fenced appends check the lease's token in the checkpoint's own transaction. {@code ChatBuilder}
   * uses it by default when given this checkpoint store.
   */
  public LeaseStore leaseStore() {
    return checkpointStore;
  }

  public EventLog eventLog() {
    return eventLog;
  }

  public ConversationStore conversationStore() {
    return conversationStore;
  }

  /** The app streams (DESIGN §3.1), numbered under a per-app lock row: hosts sharing the database get no gap and no duplicate. */
  public AppEventLog appEventLog() {
    return appEventLog;
  }

  /** The dialect in use, as configured or detected. */
  public Dialect dialect() {
    return dialect;
  }

  public String tablePrefix() {
    return tablePrefix;
  }

  /** Configures {@link JdbcStores}. */
  public static final class Builder {
    private final DataSource dataSource;
    private Optional<Dialect> dialect = Optional.empty();
    private String tablePrefix = "cb_";
    private SchemaMode schemaMode = SchemaMode.CREATE;
    private RetryPolicy retryPolicy = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(200), 1.0);

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource == null");
    }

    /** The SQL dialect; detected from the connection's metadata when not set. */
    public Builder dialect(Dialect dialect) {
      this.dialect = Optional.of(Objects.requireNonNull(dialect, "dialect == null"));
      return this;
    }

    /**
     * Prepended to every table name (default {@code cb_}): a letter, then at most 23 letters,
     * digits or underscores.
     */
    public Builder tablePrefix(String tablePrefix) {
      new Tables(Objects.requireNonNull(tablePrefix, "tablePrefix == null"));
      this.tablePrefix = tablePrefix;
      return this;
    }

    /** What {@link #build()} does with the schema (default {@link SchemaMode#CREATE}). */
    public Builder schemaMode(SchemaMode schemaMode) {
      this.schemaMode = Objects.requireNonNull(schemaMode, "schemaMode == null");
      return this;
    }

    /**
     * How many times a transaction runs when the database aborts it for a deadlock, a serialization
     * failure or a lock timeout, or a connection is lost where that is safe to retry (default 5);
     * the backoff of {@link #retryPolicy} stays.
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new InvalidArgumentException("maxAttempts < 1");
      }
      this.retryPolicy = new RetryPolicy(maxAttempts, retryPolicy.initialBackoff(), retryPolicy.maxBackoff(),
          retryPolicy.jitter());
      return this;
    }

    /**
     * How transient failures are retried (default 5 attempts, 10 ms doubling to 200 ms, fully
     * random). Retried: transactions the database rolled back whole (SQLSTATE 40001, 40P01, 55P03;
     * MariaDB 1213, 1205), connections that could not be had, and lost connections (SQLSTATE class
     * 08, 57P01-57P03, MariaDB 1927) during reads and idempotent appends (events, conversation
     * messages, checkpoints).
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy == null");
      return this;
    }

    /**
     * Detects the dialect if needed and applies the schema mode.
     *
     * @throws io.chatbuilder.core.StoreException if the database is unreachable, unsupported, or its
     *     schema fails validation
     */
    public JdbcStores build() {
      Dialect resolved = dialect.orElseGet(this::detect);
      new Migrations(dataSource, resolved, new Tables(tablePrefix)).apply(schemaMode);
      if (resolved == Dialect.H2) {
        warnAboutH2WriteDelay();
      }
      return new JdbcStores(this, resolved);
    }

    /**
     * H2 acknowledges a commit before writing it unless WRITE_DELAY is 0, so a killed process loses
     * the last half second of checkpoints (measured by JdbcCrashTest). Say so once.
     */
    private void warnAboutH2WriteDelay() {
      try (Connection connection = dataSource.getConnection();
          Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery(
              "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
        if (rs.next() && !"0".equals(rs.getString(1).strip())) {
          log.warn("H2 WRITE_DELAY is {} ms: checkpoints acknowledged in that window are lost if the process is"
              + " killed; add ;WRITE_DELAY=0 to the JDBC URL of a file database", rs.getString(1));
        }
      } catch (SQLException e) {
        log.debug("could not read H2 WRITE_DELAY", e);
      }
    }

    private Dialect detect() {
      try (Connection connection = dataSource.getConnection()) {
        return Dialect.detect(connection.getMetaData());
      } catch (SQLException e) {
        throw Transactions.storeError("detecting the database dialect", e);
      }
    }
  }
}
