package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The event store goes down in the middle of a run: subscribers keep getting events, the run fails
 * with store_error, {@link ChatBuilder#events} serves the finished run from memory, and once the
 * store is back the log holds exactly what the subscriber saw, ending in one terminal event.
 */
class EventStoreOutageTest {

  /** Fails every append while down. */
  private static final class Switchable implements EventLog {
    final InMemoryEventLog inner = new InMemoryEventLog();
    final AtomicBoolean down = new AtomicBoolean();

    @Override
    public void append(Event event) {
      appendAll(List.of(event));
    }

    @Override
    public void appendAll(List<Event> events) {
      if (down.get()) {
        throw new StoreException("the database is unreachable", null);
      }
      inner.appendAll(events);
    }

    @Override
    public List<Event> read(String appId, String runId, long afterSeq) {
      return inner.read(appId, runId, afterSeq);
    }

    @Override
    public List<String> runIds(String appId, int limit) {
      return inner.runIds(appId, limit);
    }
  }

  @Test
  void aStoreOutageFailsTheRunAndTheLogCatchesUpWithWhatSubscribersSaw() throws Exception {
    Switchable log = new Switchable();
    ScriptedModel.TurnBuilder turn = ScriptedModel.Turn.builder().chunkDelay(Duration.ofMillis(2));
    for (int i = 0; i < 2000; i++) {
      turn.text("w" + i + " ");
    }
    ScriptedModel model = ScriptedModel.responding(request -> Optional.of(turn.build()));
    InMemorySandbox sandbox = InMemorySandbox.builder("app").build();
    List<Event> live = new CopyOnWriteArrayList<>();
    try (ChatBuilder builder = ChatBuilder.builder().model(model).sandboxes(id -> sandbox).eventLog(log)
        .eventRetry(new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), 0)).build()) {
      RunHandle run = builder.chat("app", "write a lot");
      run.subscribe(0, event -> {
        live.add(event);
        if (event.seq() == 50) {
          log.down.set(true);
        }
      });
      RunResult result = run.completion().get(60, TimeUnit.SECONDS);
      assertThat(result.outcome()).isEqualTo(RunOutcome.FAILED);
      assertThat(result.errorCode()).contains(ErrorCode.STORE_ERROR);
      Event last = live.get(live.size() - 1);
      assertThat(last).isInstanceOf(Event.RunFailed.class);
      assertThat(((Event.RunFailed) last).errorCode()).isEqualTo("store_error");
      assertThat(((Event.RunFailed) last).error()).contains("could not be stored");
      // Finished, not stored: served from memory, whole.
      assertThat(builder.activeRun("app")).isEmpty();
      assertThat(builder.events("app", run.runId(), 0)).isEqualTo(live);
      assertThat(log.inner.read("app", run.runId(), 0).size()).isLessThan(live.size());

      log.down.set(false);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (log.inner.read("app", run.runId(), 0).size() < live.size() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      List<Event> replay = log.inner.read("app", run.runId(), 0);
      assertThat(replay).isEqualTo(live);
      assertThat(replay.stream().filter(Event::terminal)).hasSize(1);
      assertThat(builder.events("app", run.runId(), 0)).isEqualTo(live);
    }
  }
}
