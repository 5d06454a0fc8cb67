package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 50 agent runs on real PostgreSQL and MariaDB while connections are cut at random moments (a TCP
 * proxy between the data source and the database closes them) and the server ends them
 * ({@code pg_terminate_backend}, MariaDB {@code KILL CONNECTION}). For every run, the replayed
 * events equal the events a subscriber received live, in order, ending in exactly one terminal
 * event; a run that recorded a checkpoint left the head's files equal to the sandbox's files; and
 * after the faults stop, one more run brings checkpoints and files together.
 */
class JdbcEventFaultTest {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcEventFaultTest.class);
  private static final int RUNS = 50;

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void replayEqualsLiveEventsUnderConnectionFaults(String database) throws Exception {
    boolean postgres = database.equals("postgresql");
    SimpleDataSource direct = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try (CuttingProxy proxy = new CuttingProxy("127.0.0.1", postgres ? 5432 : 3306)) {
      JdbcStores observer = TestDatabases.stores(direct, prefix);
      SimpleDataSource proxied = postgres
          ? new SimpleDataSource("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test?connectTimeout=3", "postgres", "")
          : new SimpleDataSource("jdbc:mariadb://127.0.0.1:" + proxy.port() + "/test?connectTimeout=3000", "root", "");
      JdbcStores stores = JdbcStores.builder(proxied).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE)
          .retryPolicy(new RetryPolicy(8, Duration.ofMillis(5), Duration.ofMillis(100), 0.5)).build();
      String app = "app-" + UUID.randomUUID().toString().substring(0, 8);
      InMemorySandbox sandbox = InMemorySandbox.builder(app).file("main.txt", "start").build();
      AtomicInteger turn = new AtomicInteger();
      ScriptedModel model = ScriptedModel.responding(request -> {
        List<ChatMessage> messages = request.messages();
        int n = turn.incrementAndGet();
        if (messages.get(messages.size() - 1) instanceof ChatMessage.ToolResult) {
          ScriptedModel.TurnBuilder text = ScriptedModel.Turn.builder();
          for (int i = 0; i < 40; i++) {
            text.text("word" + i + " ");
          }
          return Optional.of(text.build());
        }
        return Optional.of(ScriptedModel.Turn.builder().text("Writing. ")
            .toolCall("write_file", "{\"path\":\"main.txt\",\"content\":\"turn " + n + "\"}")
            .toolCall("write_file", "{\"path\":\"f/" + n + ".txt\",\"content\":\"" + UUID.randomUUID() + "\"}")
            .build());
      });

      Map<RunOutcome, Integer> outcomes = new EnumMap<>(RunOutcome.class);
      AtomicInteger cuts = new AtomicInteger();
      AtomicInteger kills = new AtomicInteger();
      AtomicBoolean faulting = new AtomicBoolean(true);
      Thread faults = new Thread(() -> {
        while (faulting.get()) {
          try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(20, 150));
            if (ThreadLocalRandom.current().nextBoolean()) {
              proxy.cutRandom().ifPresent(l -> cuts.incrementAndGet());
            } else {
              Optional<CuttingProxy.Link> link = proxy.randomLink();
              if (link.isPresent() && killOnServer(direct, postgres, link.get().upstream().getLocalPort())) {
                kills.incrementAndGet();
              }
            }
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            LOG.debug("fault injection: {}", e.toString());
          }
        }
      }, "fault-injector");
      faults.setDaemon(true);

      try (ChatBuilder builder = ChatBuilder.builder().model(model).sandboxes(id -> sandbox)
          .checkpointStore(stores.checkpointStore()).eventLog(stores.eventLog())
          .conversationStore(stores.conversationStore())
          .leaseTtl(Duration.ofSeconds(2))
          .eventRetry(new RetryPolicy(6, Duration.ofMillis(10), Duration.ofMillis(300), 0.5)).build()) {
        faults.start();
        for (int round = 1; round <= RUNS + 1; round++) {
          if (round == RUNS + 1) {
            faulting.set(false);
            faults.join();
          }
          List<Event> live = new CopyOnWriteArrayList<>();
          RunHandle run = start(builder, app, "round " + round);
          run.subscribe(0, live::add);
          RunResult result = run.completion().get(120, TimeUnit.SECONDS);
          outcomes.merge(result.outcome(), 1, Integer::sum);

          List<Event> replay = awaitReplay(observer.eventLog(), app, run.runId(), live.size());
          assertThat(replay).as("round %d (%s %s): replay equals live", round, result.outcome(), result.error())
              .isEqualTo(live);
          assertThat(live.stream().filter(Event::terminal)).as("one terminal event").hasSize(1);
          assertThat(live.get(live.size() - 1).terminal()).isTrue();
          if (result.checkpoint().isPresent()) {
            assertThat(observer.checkpointStore().head(app)).contains(result.checkpoint().get());
            assertFilesAgree(observer.checkpointStore(), result.checkpoint().get(), sandbox);
          }
          if (round == RUNS + 1) {
            assertThat(result.outcome()).as("the run after the faults: %s", result.error()).isEqualTo(RunOutcome.COMPLETED);
            Checkpoint head = observer.checkpointStore().head(app).orElseThrow();
            assertFilesAgree(observer.checkpointStore(), head, sandbox);
          }
        }
      } finally {
        faulting.set(false);
        faults.interrupt();
      }
      LOG.info("{}: {} runs, outcomes {}, {} connections cut by the proxy, {} ended by the server", database,
          RUNS + 1, outcomes, cuts.get(), kills.get());
      assertThat(cuts.get() + kills.get()).as("faults injected").isGreaterThanOrEqualTo(RUNS / 2);
      assertThat(outcomes.getOrDefault(RunOutcome.COMPLETED, 0)).as("runs completed despite faults").isGreaterThan(0);
      proxied.closeIdle();
    } finally {
      direct.closeIdle();
      TestDatabases.dropTables(direct, prefix);
    }
  }

  /** Starts a chat, waiting out a lease left behind by a release that lost its connection. */
  private static RunHandle start(ChatBuilder builder, String app, String message) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return builder.chat(app, message);
      } catch (BusyException | StoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static List<Event> awaitReplay(EventLog log, String app, String runId, int size) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<Event> replay = log.read(app, runId, 0);
    while (replay.size() < size && System.nanoTime() < deadline) {
      Thread.sleep(20);
      replay = log.read(app, runId, 0);
    }
    return replay;
  }

  private static void assertFilesAgree(CheckpointStore store, Checkpoint checkpoint, InMemorySandbox sandbox) {
    SortedMap<String, String> stored = new TreeMap<>();
    store.revision(checkpoint.resultRevisionId()).files().keySet().forEach(path ->
        stored.put(path, new String(store.readFile(checkpoint.resultRevisionId(), path).orElseThrow(),
            java.nio.charset.StandardCharsets.UTF_8)));
    SortedMap<String, String> files = new TreeMap<>();
    sandbox.files().keySet().forEach(path ->
        files.put(path, new String(sandbox.read(path).bytes(), java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(stored).as("files of checkpoint %s", checkpoint.id()).isEqualTo(files);
  }

  /** Ends, on the server, the backend whose client port is {@code port} (one of the proxy's). */
  private static boolean killOnServer(SimpleDataSource direct, boolean postgres, int port) throws Exception {
    try (Connection c = direct.getConnection()) {
      if (postgres) {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE client_port = ? AND pid <> pg_backend_pid()")) {
          s.setInt(1, port);
          try (ResultSet rs = s.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
          }
        }
      }
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE HOST LIKE ? AND ID <> CONNECTION_ID()")) {
        s.setString(1, "%:" + port);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getLong(1));
          }
        }
      }
      for (long id : ids) {
        try (var s = c.createStatement()) {
          s.execute("KILL CONNECTION " + id);
        }
      }
      return !ids.isEmpty();
    }
  }
}
