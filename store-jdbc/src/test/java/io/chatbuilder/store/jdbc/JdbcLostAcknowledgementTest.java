package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.model.ChatMessage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLRecoverableException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The commit lands but its acknowledgement is lost (the connection breaks right after COMMIT): the
 * store retries, finds its own commit and reports success, with nothing stored twice. A checkpoint
 * append reports the checkpoint that committed, with no second checkpoint and no false conflict.
 */
class JdbcLostAcknowledgementTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void appendsRetriedAfterALostAcknowledgementLandOnce(String database) throws Exception {
    SimpleDataSource plain = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    AtomicInteger loseAcks = new AtomicInteger();
    try {
      JdbcStores observer = TestDatabases.stores(plain, prefix);
      JdbcStores stores = JdbcStores.builder(plain.decorated(losingAcks(loseAcks))).tablePrefix(prefix)
          .schemaMode(SchemaMode.VALIDATE).build();
      String app = "app-" + UUID.randomUUID();

      // Checkpoints: the first (creates the head row) and a later one (moves it).
      CheckpointStore store = stores.checkpointStore();
      loseAcks.set(1);
      Checkpoint first = store.append(JdbcConcurrencyTest.draft(app, Optional.empty(), Optional.empty(),
          Map.of("a.txt", JdbcConcurrencyTest.bytes("one")), "initial"));
      assertThat(loseAcks).as("an acknowledgement was lost").hasValue(0);
      loseAcks.set(1);
      Checkpoint second = store.append(JdbcConcurrencyTest.draft(app, Optional.of(first.id()),
          Optional.of(first.resultRevisionId()), Map.of("a.txt", JdbcConcurrencyTest.bytes("two")), "second"));
      assertThat(loseAcks).hasValue(0);
      assertThat(observer.checkpointStore().head(app)).contains(second);
      assertThat(observer.checkpointStore().list(app, 10, Optional.empty())).containsExactly(second, first);
      assertThat(observer.checkpointStore().readFile(second.resultRevisionId(), "a.txt"))
          .hasValueSatisfying(b -> assertThat(b).isEqualTo(JdbcConcurrencyTest.bytes("two")));

      // Conversation messages.
      ConversationStore conversation = stores.conversationStore();
      List<ChatMessage> turn = List.of(new ChatMessage.User("hello"), new ChatMessage.User("again"));
      loseAcks.set(1);
      conversation.append(app, "run-1", turn);
      assertThat(loseAcks).hasValue(0);
      loseAcks.set(1);
      conversation.append(app, "run-2", List.of(turn.get(0)));
      assertThat(observer.conversationStore().load(app)).containsExactly(turn.get(0), turn.get(1), turn.get(0));

      // Events, one by one and batched.
      EventLog log = stores.eventLog();
      Instant at = Instant.parse("2026-11-24T10:15:30Z");
      List<Event> events = List.of(new Event.RunStarted(app, "run-1", 1, at, "go", "scripted"),
          new Event.AssistantDelta(app, "run-1", 2, at, 1, "a"),
          new Event.AssistantDelta(app, "run-1", 3, at, 1, "b"));
      loseAcks.set(1);
      log.append(events.get(0));
      loseAcks.set(1);
      log.appendAll(events);
      assertThat(loseAcks).hasValue(0);
      assertThat(observer.eventLog().read(app, "run-1", 0)).isEqualTo(events);
    } finally {
      TestDatabases.dropTables(plain, prefix);
    }
  }

  /** Commits, then, while {@code loseAcks > 0}, breaks the connection and reports the commit as lost. */
  static UnaryOperator<Connection> losingAcks(AtomicInteger loseAcks) {
    return real -> (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          try {
            Object result = method.invoke(real, args);
            if (method.getName().equals("commit") && loseAcks.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              real.unwrap(Connection.class).abort(Runnable::run);
              throw new SQLRecoverableException("connection reset after COMMIT (test)", "08006");
            }
            return result;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
