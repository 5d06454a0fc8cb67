package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LogTailTest {
  @Test
  void keepsOnlyTheLastLines() {
    LogTail tail = new LogTail(3);
    for (int i = 1; i <= 5; i++) {
      tail.add("line " + i);
    }
    assertThat(tail.lines()).containsExactly("line 3", "line 4", "line 5");
    assertThat(tail.last(2)).isEqualTo("line 4\nline 5");
    assertThat(tail.last(10)).isEqualTo("line 3\nline 4\nline 5");
  }

  @Test
  void stripsColorsCarriageReturnsAndCapsLongLines() {
    LogTail tail = new LogTail(10);
    tail.add("\u001B[32m\u001B[1mVITE\u001B[22m v7.3.8\u001B[39m  ready\r");
    tail.add("x".repeat(LogTail.MAX_LINE_CHARS + 500));
    assertThat(tail.lines().get(0)).isEqualTo("VITE v7.3.8  ready");
    assertThat(tail.lines().get(1)).hasSize(LogTail.MAX_LINE_CHARS + 1).endsWith("…");
  }

  @Test
  void linesSinceAMarkAreTheOnesAddedAfterItThatAreStillKept() {
    LogTail tail = new LogTail(3);
    tail.add("before");
    long mark = tail.added();
    assertThat(tail.since(mark)).isEmpty();
    tail.add("a");
    tail.add("b");
    assertThat(tail.since(mark)).isEqualTo("a\nb");
    tail.add("c");
    tail.add("d");
    assertThat(tail.since(mark)).isEqualTo("b\nc\nd");
  }

  @Test
  void refusesANonPositiveSize() {
    assertThatThrownBy(() -> new LogTail(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
