package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinesTest {
  @Test
  void chunksSplitAnywhereBecomeWholeLinesPerStream() {
    List<String> out = new ArrayList<>();
    Lines lines = new Lines(out::add);
    lines.onStdout("VITE v7");
    lines.onStderr("warn: a");
    lines.onStdout(".3.8 ready\r\n  ➜  Local:");
    lines.onStderr("\n");
    lines.onStdout(" http://127.0.0.1:5173/\n\nrest");
    assertThat(out).containsExactly("VITE v7.3.8 ready", "warn: a", "  ➜  Local: http://127.0.0.1:5173/", "");
    lines.flush();
    assertThat(out).endsWith("rest");
    lines.flush();
    assertThat(out).hasSize(5);
  }

  @Test
  void anEndlessLineIsHandedOverInPieces() {
    List<String> out = new ArrayList<>();
    Lines lines = new Lines(out::add);
    String chunk = "x".repeat(10_000);
    for (int i = 0; i < 20; i++) {
      lines.onStdout(chunk);
    }
    assertThat(out).isNotEmpty().allMatch(l -> l.length() <= 64 * 1024 + chunk.length());
  }
}
