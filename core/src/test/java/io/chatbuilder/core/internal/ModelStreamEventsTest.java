package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.InMemoryEventLog;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import io.chatbuilder.core.RetryPolicy;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Coalescing of tool input, on a clock the test moves by hand. */
class ModelStreamEventsTest {
  private long now = 1_000_000_000L;
  private final RunEvents events = new RunEvents("app", "run_1",
      new EventWriter(new InMemoryEventLog(), RetryPolicy.NONE, 1000, 100), List.of(),
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC), () -> { }, () -> { });
  private final ModelStreamEvents stream = new ModelStreamEvents(events, 1, () -> now);

  private void advanceMillis(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  private List<Event.ToolInputDelta> deltas() {
    return events.events().stream().filter(e -> e instanceof Event.ToolInputDelta).map(e -> (Event.ToolInputDelta) e).toList();
  }

  private static String describe(Event.ToolInputDelta d) {
    return d.callId() + "@" + d.offset() + ":" + d.fragment();
  }

  @Test
  void aCallIsAnnouncedAtOnceAndFragmentsWithin50msWaitForTheEnd() {
    stream.onToolCallStarted("c1", "write_file");
    for (String f : List.of("{\"pa", "th\":\"a", ".txt\"", ",\"content\":\"hi\"}")) {
      advanceMillis(10);
      stream.onToolInputDelta("c1", f);
    }
    assertThat(deltas()).extracting(ModelStreamEventsTest::describe).containsExactly("c1@0:");
    stream.finish();
    assertThat(deltas()).extracting(ModelStreamEventsTest::describe)
        .containsExactly("c1@0:", "c1@0:{\"path\":\"a.txt\",\"content\":\"hi\"}");
    assertThat(deltas().get(0).toolName()).isEqualTo("write_file");
    assertThat(deltas().get(1).step()).isEqualTo(1);
  }

  @Test
  void aFragmentArriving50msAfterTheLastEventFlushesWhatIsBuffered() {
    stream.onToolCallStarted("c1", "write_file");
    advanceMillis(20);
    stream.onToolInputDelta("c1", "{\"path\":");
    advanceMillis(29);
    stream.onToolInputDelta("c1", "\"a.txt\"");
    assertThat(deltas()).hasSize(1); // 49 ms since the announcement
    advanceMillis(1);
    stream.onToolInputDelta("c1", ",");
    advanceMillis(49);
    stream.onToolInputDelta("c1", "\"content\":\"");
    advanceMillis(50);
    stream.onToolInputDelta("c1", "x\"}");
    stream.finish();
    assertThat(deltas()).extracting(ModelStreamEventsTest::describe)
        .containsExactly("c1@0:", "c1@0:{\"path\":\"a.txt\",", "c1@16:\"content\":\"x\"}");
  }

  @Test
  void aKibBufferedFlushesWithoutWaitingForTime() {
    stream.onToolCallStarted("c1", "write_file");
    String fragment = "0123456789abcdef"; // 16 chars, all within one instant
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      stream.onToolInputDelta("c1", fragment);
      all.append(fragment);
    }
    stream.finish();
    List<Event.ToolInputDelta> deltas = deltas();
    // 3200 chars: the announcement, three full KiB, and the rest at the end
    assertThat(deltas).extracting(d -> d.fragment().length()).containsExactly(0, 1024, 1024, 1024, 128);
    assertThat(deltas).extracting(Event.ToolInputDelta::offset).containsExactly(0L, 0L, 1024L, 2048L, 3072L);
    assertThat(String.join("", deltas.stream().map(Event.ToolInputDelta::fragment).toList())).isEqualTo(all.toString());
  }

  @Test
  void parallelCallsAreCoalescedSeparatelyAndFlushedInTheOrderTheyStarted() {
    stream.onToolCallStarted("c1", "write_file");
    stream.onToolCallStarted("c2", "read_file");
    stream.onToolInputDelta("c2", "{\"path\":");
    stream.onToolInputDelta("c1", "{\"path\":\"a\"");
    stream.onToolInputDelta("c2", "\"b\"}");
    stream.onToolInputDelta("c1", "}");
    stream.onToolCallStarted("c1", "write_file"); // a repeated start is not a new call
    stream.finish();
    assertThat(deltas()).extracting(ModelStreamEventsTest::describe)
        .containsExactly("c1@0:", "c2@0:", "c1@0:{\"path\":\"a\"}", "c2@0:{\"path\":\"b\"}");
  }

  @Test
  void fragmentsWithoutAStartAreShownAtOnceThenCoalesced() {
    stream.onToolInputDelta("c9", "");
    assertThat(deltas()).isEmpty(); // empty fragments are no news
    stream.onToolInputDelta("c9", "{\"a\":");
    stream.onToolInputDelta("c9", "1}");
    stream.finish();
    assertThat(deltas()).extracting(ModelStreamEventsTest::describe).containsExactly("c9@0:{\"a\":", "c9@5:1}");
    assertThat(deltas().get(0).toolName()).isEmpty();
  }

  @Test
  void eventsPerCallAreBoundedByTimeAndSize() {
    stream.onToolCallStarted("c1", "write_file");
    long chars = 0;
    // 2000 fragments of 7 chars, 3 ms apart: 6 s and 14000 chars
    for (int i = 0; i < 2000; i++) {
      advanceMillis(3);
      stream.onToolInputDelta("c1", "abcdefg");
      chars += 7;
    }
    stream.finish();
    long elapsedMs = 2000 * 3;
    // one announcement, at most one per 50 ms, one per KiB, and the last one
    assertThat(deltas().size()).isLessThanOrEqualTo((int) (1 + elapsedMs / 50 + chars / 1024 + 1));
    // and coalescing happened: far fewer events than fragments
    assertThat(deltas().size()).isBetween(100, 140);
  }

  @Test
  void textAndReasoningStreamUncoalescedAndEmptyReasoningIsDropped() {
    stream.onReasoningDelta("Think");
    stream.onReasoningDelta("");
    stream.onTextDelta("Hi");
    assertThat(events.events()).extracting(Event::type).containsExactly("reasoning_delta", "assistant_delta");
    assertThat(((Event.ReasoningDelta) events.events().get(0)).text()).isEqualTo("Think");
  }
}
