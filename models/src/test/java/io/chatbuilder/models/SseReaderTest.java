package io.chatbuilder.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import okio.Buffer;
import okio.BufferedSource;
import okio.Okio;
import okio.Source;
import okio.Timeout;
import org.junit.jupiter.api.Test;

class SseReaderTest {

  /** A source that hands out one byte per read, like the slowest possible network. */
  private static BufferedSource oneByteAtATime(byte[] bytes) {
    return Okio.buffer(new Source() {
      int next;

      @Override
      public long read(Buffer sink, long byteCount) {
        if (next >= bytes.length) {
          return -1;
        }
        sink.writeByte(bytes[next++]);
        return 1;
      }

      @Override
      public Timeout timeout() {
        return Timeout.NONE;
      }

      @Override
      public void close() {}
    });
  }

  private static List<SseEvent> readAll(String text) throws IOException {
    return readAll(text.getBytes(StandardCharsets.UTF_8), 1 << 20);
  }

  private static List<SseEvent> readAll(byte[] bytes, long maxLine) throws IOException {
    SseReader reader = new SseReader(oneByteAtATime(bytes), maxLine, "test");
    List<SseEvent> events = new ArrayList<>();
    SseEvent e;
    while ((e = reader.next()) != null) {
      events.add(e);
    }
    return events;
  }

  @Test
  void multiByteCharactersSplitAcrossReadsDecodeIntact() throws IOException {
    // Every byte arrives in its own read, so 2-, 3- and 4-byte UTF-8 sequences are split.
    List<SseEvent> events = readAll("data: {\"t\":\"héllo — 你好 👋🏽\"}\n\n");
    assertThat(events).containsExactly(new SseEvent("", "{\"t\":\"héllo — 你好 👋🏽\"}"));
  }

  @Test
  void recordedOpenAiStreamFedOneByteAtATimeYieldsEveryChunk() throws IOException {
    List<SseEvent> events = readAll(Fixtures.stream("openai/text-with-usage.sse"), 1 << 20);
    assertThat(events).hasSize(7);
    assertThat(events.get(3).data()).contains("👋 — 你好");
    assertThat(events.get(6).data()).isEqualTo("[DONE]");
  }

  @Test
  void crlfAndCrLineEndingsAreLineEndings() throws IOException {
    assertThat(readAll("event: a\r\ndata: one\r\n\r\nevent: b\rdata: two\r\rdata: three\n\n"))
        .containsExactly(new SseEvent("a", "one"), new SseEvent("b", "two"), new SseEvent("", "three"));
  }

  @Test
  void dataWithoutSpaceAndOnlyOneSpaceStripped() throws IOException {
    assertThat(readAll("data:{\"a\":1}\n\ndata:  two\n\n"))
        .containsExactly(new SseEvent("", "{\"a\":1}"), new SseEvent("", " two"));
  }

  @Test
  void commentsAndKeepAlivesAreSkipped() throws IOException {
    assertThat(readAll(": OPENROUTER PROCESSING\n\n:\n\n: ping\ndata: x\n: between\n\n"))
        .containsExactly(new SseEvent("", "x"));
  }

  @Test
  void multiLineDataIsJoinedWithNewlines() throws IOException {
    assertThat(readAll("data: {\"a\":\ndata: 1}\n\n")).containsExactly(new SseEvent("", "{\"a\":\n1}"));
  }

  @Test
  void eventNameDoesNotLeakIntoTheNextEvent() throws IOException {
    assertThat(readAll("event: ping\ndata: {}\n\ndata: plain\n\nevent: lonely\n\ndata: after\n\n"))
        .containsExactly(new SseEvent("ping", "{}"), new SseEvent("", "plain"), new SseEvent("", "after"));
  }

  @Test
  void unknownFieldsIdAndRetryAreIgnored() throws IOException {
    assertThat(readAll("id: 7\nretry: 1000\nfoo: bar\ndata: x\n\n")).containsExactly(new SseEvent("", "x"));
  }

  @Test
  void completeLastEventWithoutBlankLineIsDispatched() throws IOException {
    assertThat(readAll("data: a\n\ndata: [DONE]\n")).containsExactly(new SseEvent("", "a"), new SseEvent("", "[DONE]"));
  }

  @Test
  void partialLineAtEndOfStreamIsDropped() throws IOException {
    assertThat(readAll("data: a\n\ndata: {\"cut")).containsExactly(new SseEvent("", "a"));
  }

  @Test
  void byteOrderMarkAtStartIsRemoved() throws IOException {
    assertThat(readAll("\uFEFFdata: x\n\n")).containsExactly(new SseEvent("", "x"));
  }

  @Test
  void overlongLineFailsInsteadOfGrowing() {
    byte[] huge = ("data: " + "x".repeat(5000) + "\n\n").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> readAll(huge, 2048))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("longer than 2048 bytes");
  }

  @Test
  void overlongEventMadeOfShortLinesFails() {
    String manyLines = "data: 0123456789\n".repeat(300) + "\n";
    assertThatThrownBy(() -> readAll(manyLines.getBytes(StandardCharsets.UTF_8), 2048))
        .isInstanceOf(ModelException.class)
        .hasMessageContaining("larger than 2048 bytes");
  }

  @Test
  void emptyStreamHasNoEvents() throws IOException {
    assertThat(readAll("")).isEmpty();
    assertThat(readAll("\n\n\r\n")).isEmpty();
  }
}
