package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ReadFileRangeTest {
  private static final String BIG = IntStream.rangeClosed(1, 5000).mapToObj(i -> "line " + i)
      .collect(Collectors.joining("\n", "", "\n"));

  @Test
  void withoutRangeArgumentsTheWholeFileComesBackAsBefore() {
    ToolHarness h = ToolHarness.with("a.txt", "one\ntwo\n");
    ToolResult r = h.call("read_file", "{\"path\": \"a.txt\"}");
    assertThat(r.content()).isEqualTo("one\ntwo\n");
    assertThat(r.summary()).isEqualTo("2 lines, 8 bytes");
  }

  @Test
  void aLineRangeOfAFiveThousandLineFileWithNumbers() {
    ToolHarness h = ToolHarness.with("big.txt", BIG);
    ToolResult r = h.call("read_file", "{\"path\": \"big.txt\", \"offset\": 4998, \"limit\": 2, \"line_numbers\": true}");
    assertThat(r.content()).isEqualTo("4998\tline 4998\n4999\tline 4999\n… (lines 4998-4999 of 5000; read on with offset 5000)\n");
    assertThat(r.summary()).isEqualTo("lines 4998-4999 of 5000");

    r = h.call("read_file", "{\"path\": \"big.txt\", \"offset\": 5000}");
    assertThat(r.content()).isEqualTo("line 5000\n");
    assertThat(r.summary()).isEqualTo("line 5000 of 5000");
  }

  @Test
  void lineNumbersAloneNumberTheWholeFileAlignedAndCrlfIsShownAsLines() {
    ToolHarness h = ToolHarness.with("a.txt", String.join("\r\n", IntStream.rangeClosed(1, 10).mapToObj(i -> "l" + i).toList()) + "\r\n");
    ToolResult r = h.call("read_file", "{\"path\": \"a.txt\", \"line_numbers\": true, \"limit\": 10}");
    assertThat(r.content()).startsWith(" 1\tl1\n 2\tl2\n").endsWith("10\tl10\n").doesNotContain("\r");
  }

  @Test
  void badRangesAreRefused() {
    ToolHarness h = ToolHarness.with("a.txt", "one\ntwo\n");
    assertThatThrownBy(() -> h.call("read_file", "{\"path\": \"a.txt\", \"offset\": 3}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessage("offset 3 is past the end: the file has 2 lines");
    assertThatThrownBy(() -> h.call("read_file", "{\"path\": \"a.txt\", \"offset\": 0}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessage("offset must be 1 or more (lines count from 1)");
    assertThatThrownBy(() -> h.call("read_file", "{\"path\": \"a.txt\", \"limit\": 0}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessage("limit must be 1 or more");
    assertThatThrownBy(() -> h.call("read_file", "{\"path\": \"a.txt\", \"offset\": \"two\"}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessage("invalid arguments for read_file: 'offset' must be an integer, got a string");
  }

  @Test
  void aRangeLongerThanTheReadCapIsCutAtALineWithWhereToGoOn() {
    String longLines = IntStream.rangeClosed(1, 3000).mapToObj(i -> "x".repeat(99)).collect(Collectors.joining("\n", "", "\n"));
    ToolHarness h = ToolHarness.with("a.txt", longLines);
    ToolResult r = h.call("read_file", "{\"path\": \"a.txt\", \"offset\": 1}");
    assertThat(r.content()).endsWith("… (lines 1-1000 of 3000; read on with offset 1001)\n");
    assertThat(r.summary()).isEqualTo("lines 1-1000 of 3000");
  }
}
