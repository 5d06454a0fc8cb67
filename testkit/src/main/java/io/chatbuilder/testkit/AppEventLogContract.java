package io.chatbuilder.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.runtime.DraftState;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link AppEventLog} must have (DESIGN §3.1 "The app stream"): the log numbers
 * each app's events gaplessly from 1, also when two instances on the same storage (two hosts) append
 * at once. Extend it and implement {@link #createLog()}; tests use fresh random app ids.
 */
public abstract class AppEventLogContract {
  private static final int THREADS_PER_LOG = 4;
  private static final int PER_THREAD = 25;

  /** A log to test. Called once before each test. */
  protected abstract AppEventLog createLog() throws Exception;

  /**
   * A second instance on the same storage, as on another host. The default (in-memory logs) returns
   * the same object.
   */
  protected AppEventLog second(AppEventLog log) throws Exception {
    return log;
  }

  protected void closeLog(AppEventLog log) throws Exception {}

  private AppEventLog log;
  private final List<AppEventLog> opened = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    log = createLog();
    opened.add(log);
  }

  @AfterEach
  void close() throws Exception {
    for (AppEventLog l : opened) {
      closeLog(l);
    }
  }

  private static String newApp() {
    return "app-" + UUID.randomUUID().toString().substring(0, 12);
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  @Test
  void numbersEachAppsEventsFromOneAndReadsInOrder() {
    String a = newApp();
    String b = newApp();
    AppEvent first = log.append(new AppEvent.RunStarted(a, 0, now(), "run_1", "hello"));
    AppEvent other = log.append(new AppEvent.DraftProgress(b, 0, now(), "installing"));
    AppEvent second = log.append(new AppEvent.RunEnded(a, 99, now(), "run_1", RunOutcome.COMPLETED, Optional.empty(),
        Optional.empty()));
    assertThat(first.seq()).isEqualTo(1);
    assertThat(second.seq()).as("the event's own seq is ignored").isEqualTo(2);
    assertThat(other.seq()).isEqualTo(1);
    assertThat(log.read(a, 0, 100)).containsExactly(first, second);
    assertThat(log.read(a, 1, 100)).containsExactly(second);
    assertThat(log.read(a, 2, 100)).isEmpty();
    assertThat(log.read(a, 0, 1)).containsExactly(first);
    assertThat(log.lastSeq(a)).isEqualTo(2);
    assertThat(log.read(newApp(), 0, 10)).isEmpty();
    assertThat(log.lastSeq(newApp())).isZero();
  }

  @Test
  void keepsEveryFieldOfEveryType() {
    String a = newApp();
    List<AppEvent> events = List.of(
        new AppEvent.RunStarted(a, 0, now(), "run_1", "add a toggle"),
        new AppEvent.RunEnded(a, 0, now(), "run_1", RunOutcome.FAILED, Optional.of("boom"), Optional.of("internal")),
        new AppEvent.DraftStateChanged(a, 0, now(), DraftState.RUNNING, Optional.of("http://127.0.0.1:5173/"), Optional.empty()),
        new AppEvent.DraftProgress(a, 0, now(), "installing dependencies"),
        new AppEvent.PublishStarted(a, 0, now(), "cp_1"),
        new AppEvent.PublishProgress(a, 0, now(), "cp_1", "vite build"),
        new AppEvent.PublishFinished(a, 0, now(), "cp_1", Optional.of("pub_1"), true, Optional.empty(), Optional.of("/dist")),
        new AppEvent.PreviewError(a, 0, now(), "compile", "Unexpected token \"ü\"", Optional.of("src/App.tsx"), 3, 7, 2));
    List<AppEvent> appended = new ArrayList<>();
    events.forEach(e -> appended.add(log.append(e)));
    for (int i = 0; i < events.size(); i++) {
      assertThat(appended.get(i)).isEqualTo(events.get(i).withSeq(i + 1L));
    }
    assertThat(log.read(a, 0, 100)).containsExactlyElementsOf(appended);
  }

  @Test
  void twoInstancesAppendingAtOnceGetNoGapAndNoDuplicate() throws Exception {
    String a = newApp();
    AppEventLog other = second(log);
    if (other != log) {
      opened.add(other);
    }
    List<AppEventLog> logs = List.of(log, other);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS_PER_LOG * 2);
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (AppEventLog l : logs) {
        for (int t = 0; t < THREADS_PER_LOG; t++) {
          int thread = t;
          futures.add(pool.submit(() -> {
            start.await();
            for (int i = 0; i < PER_THREAD; i++) {
              seqs.add(l.append(new AppEvent.DraftProgress(a, 0, now(), "t" + thread + " #" + i)).seq());
            }
            return null;
          }));
        }
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    long total = 2L * THREADS_PER_LOG * PER_THREAD;
    assertThat(seqs).hasSize((int) total).doesNotHaveDuplicates();
    assertThat(seqs.stream().sorted().toList()).isEqualTo(LongStream.rangeClosed(1, total).boxed().toList());
    List<AppEvent> read = new ArrayList<>();
    long after = 0;
    while (true) {
      List<AppEvent> page = log.read(a, after, 37);
      if (page.isEmpty()) {
        break;
      }
      read.addAll(page);
      after = page.get(page.size() - 1).seq();
    }
    assertThat(read).extracting(AppEvent::seq).isEqualTo(LongStream.rangeClosed(1, total).boxed().toList());
    assertThat(other.lastSeq(a)).isEqualTo(total);
  }
}
