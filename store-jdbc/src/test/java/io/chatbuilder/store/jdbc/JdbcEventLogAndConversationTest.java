package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.model.ChatMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Events and conversations survive a restart (a new JdbcStores over the same database). */
class JdbcEventLogAndConversationTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void eventsReplayAfterRestartFromAnySeq(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      EventLog log = TestDatabases.stores(dataSource, prefix).eventLog();
      String app = "app-" + UUID.randomUUID();
      Instant at = Instant.parse("2026-11-24T10:15:30.123456789Z");
      List<Event> run1 = List.of(
          new Event.RunStarted(app, "run-1", 1, at, "add a dark-mode toggle ✓", "scripted"),
          new Event.AssistantDelta(app, "run-1", 2, at.plusMillis(1), 1, "Sure — "),
          new Event.Status(app, "run-1", 3, at.plusMillis(2), "installing dependencies"));
      run1.forEach(log::append);
      log.append(new Event.RunStarted(app, "run-2", 1, at.plusSeconds(5), "second", "scripted"));

      EventLog restarted = TestDatabases.stores(dataSource, prefix).eventLog();
      assertThat(restarted.read(app, "run-1", 0)).containsExactlyElementsOf(run1);
      assertThat(restarted.read(app, "run-1", 2)).containsExactly(run1.get(2));
      assertThat(restarted.read(app, "run-1", 3)).isEmpty();
      assertThat(restarted.read(app, "no-such-run", 0)).isEmpty();
      assertThat(restarted.runIds(app, 10)).containsExactly("run-2", "run-1");
      assertThat(restarted.runIds(app, 1)).containsExactly("run-2");

      // Gaps, repeats and runs that do not start at 1 are refused and change nothing.
      assertThatThrownBy(() -> restarted.append(new Event.Status(app, "run-1", 5, at, "gap")))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> restarted.append(new Event.Status(app, "run-1", 3, at, "again")))
          .isInstanceOf(InvalidArgumentException.class);
      // The very same events again (a retry after a lost acknowledgement) are accepted, once.
      restarted.append(run1.get(2));
      restarted.appendAll(run1);
      assertThatThrownBy(() -> restarted.append(new Event.Status(app, "run-3", 2, at, "no start")))
          .isInstanceOf(InvalidArgumentException.class);
      assertThat(restarted.read(app, "run-1", 0)).containsExactlyElementsOf(run1);
      assertThat(restarted.runIds(app, 10)).containsExactly("run-2", "run-1");

      // Two hosts appending to one run keep seqs gapless: exactly one wins each seq.
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        EventLog[] logs = {log, restarted};
        for (int i = 0; i < 4; i++) {
          EventLog writer = logs[i % 2];
          int host = i;
          results.add(pool.submit(() -> {
            int won = 0;
            for (long seq = 4; seq <= 13; seq++) {
              try {
                // Each writer's events differ: the same event again would be a retry, accepted.
                writer.append(new Event.Status(app, "run-1", seq, at, "s" + seq + " by " + host));
                won++;
              } catch (InvalidArgumentException e) {
                // another writer took this seq
              }
            }
            return won;
          }));
        }
        int total = 0;
        for (Future<Integer> r : results) {
          total += r.get(60, TimeUnit.SECONDS);
        }
        assertThat(total).isEqualTo(10);
      } finally {
        pool.shutdownNow();
      }
      List<Event> all = restarted.read(app, "run-1", 0);
      for (int i = 0; i < all.size(); i++) {
        assertThat(all.get(i).seq()).isEqualTo(i + 1);
      }
      assertThat(all).hasSize(13);
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void assistantReasoningWithSignaturesSurvivesRestart(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    String app = "app-" + UUID.randomUUID();
    ChatMessage.Assistant turn = new ChatMessage.Assistant("Writing it.",
        List.of(new io.chatbuilder.core.model.ToolCall("toolu_1", "write_file", "{\"path\":\"a\",\"content\":\"b\"}")),
        List.of(new io.chatbuilder.core.model.Reasoning.Text("Plan: one file.", "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgx"),
            new io.chatbuilder.core.model.Reasoning.Redacted("EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5")));
    try {
      TestDatabases.stores(dataSource, prefix).conversationStore().append(app, "run-1", List.of(new ChatMessage.User("go"), turn));
      assertThat(TestDatabases.stores(dataSource, prefix).conversationStore().load(app))
          .containsExactly(new ChatMessage.User("go"), turn);
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void conversationSurvivesRestartAndRewinds(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      ConversationStore store = TestDatabases.stores(dataSource, prefix).conversationStore();
      String app = "app-" + UUID.randomUUID();
      assertThat(store.load(app)).isEmpty();
      assertThat(store.size(app)).isZero();
      List<ChatMessage> first = List.of(new ChatMessage.User("make it blue — “now” ✓"), new ChatMessage.ToolResult("call-1", "write_file", "ok", false));
      store.append(app, "run-1", first);
      store.append(app, "run-1", List.of());
      store.append(app, "run-2", List.of(new ChatMessage.User("and bigger")));

      ConversationStore restarted = TestDatabases.stores(dataSource, prefix).conversationStore();
      assertThat(restarted.size(app)).isEqualTo(3);
      assertThat(restarted.load(app)).hasSize(3).startsWith(first.get(0), first.get(1));
      restarted.truncate(app, 2);
      assertThat(store.load(app)).containsExactlyElementsOf(first);
      restarted.truncate(app, 10);
      assertThat(store.size(app)).isEqualTo(2);
      assertThatThrownBy(() -> store.truncate(app, -1)).isInstanceOf(InvalidArgumentException.class);
      store.append(app, "run-3", List.of(new ChatMessage.User("again")));
      assertThat(store.load(app)).hasSize(3);
      assertThat(store.load(app).get(2)).isEqualTo(new ChatMessage.User("again"));

      // Concurrent appenders on two stores: no message lost, none duplicated.
      String other = "app-" + UUID.randomUUID();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> done = new ArrayList<>();
        ConversationStore[] stores = {store, restarted};
        for (int t = 0; t < 4; t++) {
          ConversationStore writer = stores[t % 2];
          int n = t;
          done.add(pool.submit(() -> {
            for (int i = 0; i < 5; i++) {
              writer.append(other, "run-" + n, List.of(new ChatMessage.User("t" + n + " m" + i)));
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      List<ChatMessage> all = store.load(other);
      assertThat(all).hasSize(20).doesNotHaveDuplicates();
      assertThat(store.size(other)).isEqualTo(20);
      // However the appends interleaved, each turn reads back whole and in its own order.
      for (int start = 0; start < 20; start += 5) {
        String writer = ((ChatMessage.User) all.get(start)).text().substring(0, 2);
        for (int i = 0; i < 5; i++) {
          assertThat(all.get(start + i)).isEqualTo(new ChatMessage.User(writer + " m" + i));
        }
      }
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void aLateAppendToAnEarlierTurnReadsBackRightAfterThatTurn(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      ConversationStore store = TestDatabases.stores(dataSource, prefix).conversationStore();
      String app = "app-" + UUID.randomUUID();
      io.chatbuilder.core.model.ToolCall call = new io.chatbuilder.core.model.ToolCall("c1", "write_file", "{}");
      ChatMessage.Assistant asks = new ChatMessage.Assistant("", List.of(call), List.of());
      store.append(app, "run-dead", List.of(new ChatMessage.User("one"), asks));
      store.append(app, "run-next", List.of(new ChatMessage.User("two")));
      ChatMessage.ToolResult answer = new ChatMessage.ToolResult("c1", "write_file", "Error: host stopped", true);
      store.append(app, "run-dead", List.of(answer));
      assertThat(store.load(app)).containsExactly(new ChatMessage.User("one"), asks, answer, new ChatMessage.User("two"));
      store.truncate(app, 3);
      assertThat(store.load(app)).containsExactly(new ChatMessage.User("one"), asks, answer);
      store.append(app, "run-later", List.of(new ChatMessage.User("three")));
      assertThat(TestDatabases.stores(dataSource, prefix).conversationStore().load(app))
          .containsExactly(new ChatMessage.User("one"), asks, answer, new ChatMessage.User("three"));
      assertThatThrownBy(() -> store.append(app, " ", List.of(new ChatMessage.User("x"))))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> store.append(app, "r".repeat(101), List.of(new ChatMessage.User("x"))))
          .isInstanceOf(InvalidArgumentException.class);
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }
}
