package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The event writer on its own: order, batches, retries, a full queue, a store that is down. */
class EventWriterTest {
  private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5), 0);
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

  private static Event delta(String run, long seq) {
    return new Event.AssistantDelta("app", run, seq, AT, 1, "t" + seq);
  }

  private static Event completed(String run, long seq) {
    return new Event.RunCompleted("app", run, seq, AT, 1, io.chatbuilder.core.model.Usage.ZERO, java.util.Map.of());
  }

  /** Counts calls and their sizes; optionally slow. */
  private static final class Recording implements EventLog {
    final InMemoryEventLog inner = new InMemoryEventLog();
    final List<Integer> callSizes = new CopyOnWriteArrayList<>();
    final long sleepMillis;

    Recording(long sleepMillis) {
      this.sleepMillis = sleepMillis;
    }

    @Override
    public void append(Event event) {
      appendAll(List.of(event));
    }

    @Override
    public void appendAll(List<Event> events) {
      callSizes.add(events.size());
      try {
        Thread.sleep(sleepMillis);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
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
  void eventsOfEachRunReachTheLogInOrderInFewBatches() {
    Recording log = new Recording(20);
    EventWriter writer = new EventWriter(log, FAST, 10_000, 500);
    List<StoreException> failures = new CopyOnWriteArrayList<>();
    EventWriter.Channel a = writer.open("a", failures::add, () -> { });
    EventWriter.Channel b = writer.open("b", failures::add, () -> { });
    List<Event> sentA = new ArrayList<>();
    List<Event> sentB = new ArrayList<>();
    for (int i = 1; i <= 1000; i++) {
      Event ea = delta("a", i);
      Event eb = delta("b", i);
      sentA.add(ea);
      sentB.add(eb);
      a.submit(ea);
      b.submit(eb);
    }
    assertThat(writer.flush(Duration.ofSeconds(20))).isTrue();
    assertThat(log.read("app", "a", 0)).isEqualTo(sentA);
    assertThat(log.read("app", "b", 0)).isEqualTo(sentB);
    assertThat(a.persistedSeq()).isEqualTo(1000);
    assertThat(failures).isEmpty();
    // 2,000 events at 20 ms a call: one call per event would take 40 s; batches make it a handful.
    assertThat(log.callSizes.size()).isLessThan(100);
    assertThat(log.callSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(2000);
    writer.close(Duration.ofSeconds(1));
  }

  @Test
  void aRetryAfterALostAcknowledgementStoresEachEventOnce() {
    InMemoryEventLog stored = new InMemoryEventLog();
    AtomicInteger lostAcks = new AtomicInteger(2);
    EventLog log = new ForwardingLog(stored) {
      @Override
      public void appendAll(List<Event> events) {
        stored.appendAll(events);
        if (lostAcks.getAndDecrement() > 0) {
          throw new StoreException("connection reset after commit", null);
        }
      }
    };
    EventWriter writer = new EventWriter(log, FAST, 100, 10);
    List<StoreException> failures = new CopyOnWriteArrayList<>();
    EventWriter.Channel run = writer.open("r", failures::add, () -> { });
    List<Event> sent = new ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      sent.add(delta("r", i));
    }
    sent.add(completed("r", 26));
    sent.forEach(run::submit);
    assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(stored.read("app", "r", 0)).isEqualTo(sent);
    assertThat(failures).as("two retries fit in three attempts").isEmpty();
    writer.close(Duration.ofSeconds(1));
  }

  @Test
  void aFullQueueFailsTheRunOnceAndStillStoresEverything() throws Exception {
    CountDownLatch open = new CountDownLatch(1);
    InMemoryEventLog stored = new InMemoryEventLog();
    EventLog log = new ForwardingLog(stored) {
      @Override
      public void appendAll(List<Event> events) {
        try {
          open.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        stored.appendAll(events);
      }
    };
    EventWriter writer = new EventWriter(log, FAST, 10, 100);
    List<StoreException> failures = new CopyOnWriteArrayList<>();
    EventWriter.Channel run = writer.open("r", failures::add, () -> { });
    List<Event> sent = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      Event e = i == 30 ? completed("r", i) : delta("r", i);
      sent.add(e);
      run.submit(e); // never blocks, even with the store stuck
    }
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0)).hasMessageContaining("not keeping up");
    open.countDown();
    assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(stored.read("app", "r", 0)).isEqualTo(sent);
    writer.close(Duration.ofSeconds(1));
  }

  @Test
  void aStoreThatIsDownFailsTheRunsThenTakesTheirEventsWhenBack() throws Exception {
    AtomicBoolean down = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    InMemoryEventLog stored = new InMemoryEventLog();
    EventLog log = new ForwardingLog(stored) {
      @Override
      public void appendAll(List<Event> events) {
        calls.incrementAndGet();
        if (down.get()) {
          throw new StoreException("connection refused", null);
        }
        stored.appendAll(events);
      }
    };
    EventWriter writer = new EventWriter(log, FAST, 1000, 100);
    CountDownLatch failed = new CountDownLatch(1);
    CountDownLatch settled = new CountDownLatch(1);
    List<StoreException> failures = new CopyOnWriteArrayList<>();
    EventWriter.Channel run = writer.open("r", e -> {
      failures.add(e);
      failed.countDown();
    }, settled::countDown);
    List<Event> sent = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      sent.add(delta("r", i));
    }
    sent.forEach(run::submit);
    assertThat(failed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(failures.get(0)).hasMessageContaining("3 times").hasMessageContaining("connection refused");
    Event terminal = completed("r", 6);
    sent.add(terminal);
    run.submit(terminal);
    assertThat(writer.flush(Duration.ofMillis(100))).isFalse();
    assertThat(settled.getCount()).isEqualTo(1);
    int before = calls.get();
    Thread.sleep(50);
    assertThat(calls.get()).as("keeps retrying after the budget").isGreaterThan(before);
    down.set(false);
    assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(settled.await(1, TimeUnit.SECONDS)).isTrue();
    assertThat(stored.read("app", "r", 0)).isEqualTo(sent);
    assertThat(stored.read("app", "r", 0).stream().filter(Event::terminal)).hasSize(1);
    assertThat(failures).hasSize(1);
    writer.close(Duration.ofSeconds(1));
  }

  @Test
  void aRefusedEventDropsTheRunsUnstoredEventsAndFailsIt() {
    InMemoryEventLog stored = new InMemoryEventLog();
    stored.append(new Event.Status("app", "r", 1, AT, "someone else's event"));
    EventWriter writer = new EventWriter(stored, FAST, 100, 100);
    List<StoreException> failures = new CopyOnWriteArrayList<>();
    AtomicInteger settled = new AtomicInteger();
    EventWriter.Channel run = writer.open("r", failures::add, settled::incrementAndGet);
    run.submit(delta("r", 1));
    run.submit(delta("r", 2));
    assertThat(writer.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0)).hasMessageContaining("refused");
    assertThat(settled.get()).isEqualTo(1);
    assertThat(stored.read("app", "r", 0)).hasSize(1);
    writer.close(Duration.ofSeconds(1));
  }

  @Test
  void inMemoryLogAcceptsTheSameEventAgainButNotADifferentOne() {
    InMemoryEventLog log = new InMemoryEventLog();
    log.appendAll(List.of(delta("r", 1), delta("r", 2)));
    log.appendAll(List.of(delta("r", 1), delta("r", 2), delta("r", 3)));
    assertThat(log.read("app", "r", 0)).containsExactly(delta("r", 1), delta("r", 2), delta("r", 3));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> log.append(completed("r", 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already");
  }

  private abstract static class ForwardingLog implements EventLog {
    private final EventLog inner;

    ForwardingLog(EventLog inner) {
      this.inner = inner;
    }

    @Override
    public void append(Event event) {
      appendAll(List.of(event));
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
}
