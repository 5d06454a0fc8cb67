package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.internal.SseReader.EndOfStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one SSE reader and writer: WHATWG parsing fed one byte per read, bounds, and both end-of-stream modes. */
class SseReaderTest {

  /** A stream that hands out one byte per read, like the slowest possible network. */
  private static InputStream oneByteAtATime(byte[] bytes) {
    return new InputStream() {
      int next;

      @Override
      public int read() {
        return next < bytes.length ? bytes[next++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (next >= bytes.length) {
          return -1;
        }
        b[off] = bytes[next++];
        return 1;
      }
    };
  }

  private static List<SseEvent> readAll(String text) throws IOException {
    return readAll(text.getBytes(StandardCharsets.UTF_8), 1 << 20);
  }

  private static List<SseEvent> readAll(byte[] bytes, long maxLine) throws IOException {
    return readAll(new SseReader(oneByteAtATime(bytes), maxLine, EndOfStream.DISPATCH_COMPLETE_LINES));
  }

  private static List<SseEvent> readAll(SseReader reader) throws IOException {
    List<SseEvent> events = new ArrayList<>();
    SseEvent e;
    while ((e = reader.next()) != null) {
      events.add(e);
    }
    return events;
  }

  private static SseReader dropping(String text) {
    return new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 1 << 20, EndOfStream.DROP_UNTERMINATED);
  }

  @Test
  void multiByteCharactersSplitAcrossReadsDecodeIntact() throws IOException {
    // Every byte arrives in its own read, so 2-, 3- and 4-byte UTF-8 sequences are split.
    List<SseEvent> events = readAll("data: {\"t\":\"héllo — 你好 👋🏽\"}\n\n");
    assertThat(events).containsExactly(new SseEvent("", "", "{\"t\":\"héllo — 你好 👋🏽\"}"));
  }

  @Test
  void crlfAndCrLineEndingsAreLineEndings() throws IOException {
    assertThat(readAll("event: a\r\ndata: one\r\n\r\nevent: b\rdata: two\r\rdata: three\n\n"))
        .containsExactly(new SseEvent("", "a", "one"), new SseEvent("", "b", "two"), new SseEvent("", "", "three"));
  }

  @Test
  void dataWithoutSpaceAndOnlyOneSpaceStripped() throws IOException {
    assertThat(readAll("data:{\"a\":1}\n\ndata:  two\n\n"))
        .containsExactly(new SseEvent("", "", "{\"a\":1}"), new SseEvent("", "", " two"));
  }

  @Test
  void commentsAndKeepAlivesAreSkipped() throws IOException {
    assertThat(readAll(": OPENROUTER PROCESSING\n\n:\n\n: ping\ndata: x\n: between\n\n"))
        .containsExactly(new SseEvent("", "", "x"));
  }

  @Test
  void multiLineDataIsJoinedWithNewlines() throws IOException {
    assertThat(readAll("data: {\"a\":\ndata: 1}\n\n")).containsExactly(new SseEvent("", "", "{\"a\":\n1}"));
  }

  @Test
  void eventNameDoesNotLeakIntoTheNextEvent() throws IOException {
    assertThat(readAll("event: ping\ndata: {}\n\ndata: plain\n\nevent: lonely\n\ndata: after\n\n"))
        .containsExactly(new SseEvent("", "ping", "{}"), new SseEvent("", "", "plain"), new SseEvent("", "", "after"));
  }

  @Test
  void idBelongsToItsOwnEventAndRetryAndUnknownFieldsAreIgnored() throws IOException {
    assertThat(readAll("id: 7\nretry: 1000\nfoo: bar\ndata: x\n\ndata: y\n\n")).containsExactly(new SseEvent("7", "", "x"), new SseEvent("", "", "y"));
  }

  @Test
  void completeLastEventWithoutBlankLineIsDispatched() throws IOException {
    assertThat(readAll("data: a\n\ndata: [DONE]\n")).containsExactly(new SseEvent("", "", "a"), new SseEvent("", "", "[DONE]"));
  }

  @Test
  void partialLineAtEndOfStreamIsDropped() throws IOException {
    assertThat(readAll("data: a\n\ndata: {\"cut")).containsExactly(new SseEvent("", "", "a"));
  }

  @Test
  void byteOrderMarkAtStartIsRemoved() throws IOException {
    assertThat(readAll("\uFEFFdata: x\n\n")).containsExactly(new SseEvent("", "", "x"));
  }

  @Test
  void overlongLineFailsInsteadOfGrowing() {
    byte[] huge = ("data: " + "x".repeat(5000) + "\n\n").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> readAll(huge, 2048))
        .isInstanceOf(SseReader.TooLargeEventException.class)
        .hasMessageContaining("longer than 2048 bytes");
  }

  @Test
  void overlongEventMadeOfShortLinesFails() {
    String manyLines = "data: 0123456789\n".repeat(300) + "\n";
    assertThatThrownBy(() -> readAll(manyLines.getBytes(StandardCharsets.UTF_8), 2048))
        .isInstanceOf(SseReader.TooLargeEventException.class)
        .hasMessageContaining("larger than 2048 bytes");
  }

  @Test
  void emptyStreamHasNoEvents() throws IOException {
    assertThat(readAll("")).isEmpty();
    assertThat(readAll("\n\n\r\n")).isEmpty();
  }

  @Test
  void aCrTerminatedLineIsReturnedWithoutWaitingForTheNextByte() throws IOException {
    // The stream blocks forever after the CR: the event must come out before that.
    InputStream blocksAfterCr = new InputStream() {
      final byte[] bytes = "data: x\r\r".getBytes(StandardCharsets.UTF_8);
      int next;

      @Override
      public int read() {
        if (next >= bytes.length) {
          throw new AssertionError("read past the event's terminator");
        }
        return bytes[next++];
      }
    };
    assertThat(new SseReader(blocksAfterCr, 1024, EndOfStream.DROP_UNTERMINATED).next()).isEqualTo(new SseEvent("", "", "x"));
  }

  @Test
  void droppingModeReturnsOnlyEventsClosedByTheirBlankLine() throws IOException {
    SseReader reader = dropping(": keepalive\n\nid: 1\nevent: stdout\ndata: {\"text\":\"a\"}\n\n"
        + "id: 2\r\nevent: x\r\ndata: one\r\ndata:two\r\nretry: 5\r\n\r\n");
    assertThat(reader.next()).isEqualTo(new SseEvent("1", "stdout", "{\"text\":\"a\"}"));
    assertThat(reader.next()).isEqualTo(new SseEvent("2", "x", "one\ntwo"));
    assertThat(reader.next()).isNull();
    for (String cut : new String[] {"id: 3\nevent: stdout\ndata: {\"te", "id: 3\nevent: stdout\ndata: {\"text\":\"b\"}\n", "id: 3"}) {
      SseReader r = dropping("id: 2\nevent: stdout\ndata: {}\n\n" + cut);
      assertThat(r.next()).isEqualTo(new SseEvent("2", "stdout", "{}"));
      assertThat(r.next()).as(cut).isNull();
    }
  }

  @Test
  void framesWrittenByTheWriterReadBackExactly() throws IOException {
    List<SseEvent> written = List.of(new SseEvent("1", "stdout", "plain"), new SseEvent("2", "", "two\nlines\r\nand\rcr"),
        new SseEvent("", "x", ""), new SseEvent("3", "y", ": not a comment\n\nblank inside"), new SseEvent("4", "z", "ünï 👋"));
    StringBuilder stream = new StringBuilder(SseFrames.comment("opened"));
    written.forEach(e -> stream.append(SseFrames.event(e.id(), e.event(), e.data())));
    List<SseEvent> read = readAll(dropping(stream.toString()));
    assertThat(read).hasSize(written.size());
    for (int i = 0; i < written.size(); i++) {
      SseEvent w = written.get(i);
      // line breaks of any kind read back as LF, as the format defines
      assertThat(read.get(i)).isEqualTo(new SseEvent(w.id(), w.event(), w.data().replace("\r\n", "\n").replace('\r', '\n')));
    }
    assertThatThrownBy(() -> SseFrames.event("1\n", "x", "d")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SseFrames.event("1", "x\rdata: injected", "d")).isInstanceOf(IllegalArgumentException.class);
  }
}
