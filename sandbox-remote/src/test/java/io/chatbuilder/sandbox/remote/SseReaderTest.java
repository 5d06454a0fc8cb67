package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import okio.Buffer;
import org.junit.jupiter.api.Test;

/** Only complete events are returned; comments, CRLF and multi-line data follow the SSE format. */
class SseReaderTest {
  @Test
  void completeEventsCommentsAndMultiLineData() throws IOException {
    SseReader reader = new SseReader(new Buffer().writeUtf8(
        ": keepalive\n\nid: 1\nevent: stdout\ndata: {\"text\":\"a\"}\n\nid: 2\r\nevent: x\r\ndata: one\r\ndata:two\r\nretry: 5\r\n\r\n"));
    assertThat(reader.next()).isEqualTo(new SseEvent(1, "stdout", "{\"text\":\"a\"}"));
    assertThat(reader.next()).isEqualTo(new SseEvent(2, "x", "one\ntwo"));
    assertThat(reader.next()).isNull();
  }

  @Test
  void anEventCutBeforeItsBlankLineIsNeverReturned() throws IOException {
    for (String cut : new String[] {"id: 3\nevent: stdout\ndata: {\"te", "id: 3\nevent: stdout\ndata: {\"text\":\"b\"}\n", "id: 3"}) {
      SseReader reader = new SseReader(new Buffer().writeUtf8("id: 2\nevent: stdout\ndata: {}\n\n" + cut));
      assertThat(reader.next()).isEqualTo(new SseEvent(2, "stdout", "{}"));
      assertThat(reader.next()).as(cut).isNull();
    }
  }
}
