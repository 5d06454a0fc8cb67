package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where {@link StringEdit} applies a quote whose first line is empty. */
class StringEditTest {
  /**
   * EditProperties' counterexample (seed 6399636741384733040), shrunk: lines ["a", "a", "a", "a",
   * "a", "a", "", "a", "  b ", "a", "a", "  b"], with [], at 6, length 3, crlf, trailing whitespace
   * dropped. The quote "\na\n  b\n" means the empty line 7 and the two lines after it (line 9 has
   * a trailing space); it also occurs exactly as text at the end of line 10, where applying it
   * deleted line 10's newline and lines 11-12, leaving "... \na" without a final newline.
   */
  @Test
  void aWholeLineQuoteStartingWithAnEmptyLineIsNotAppliedAfterTheEndOfAnotherLine() {
    List<String> lines = List.of("a", "a", "a", "a", "a", "a", "", "a", "  b ", "a", "a", "  b");
    String before = String.join("\n", lines) + "\n";
    String after = "a\na\na\na\na\na\na\na\n  b\n";
    for (boolean crlf : new boolean[] {true, false}) {
      ToolHarness h = ToolHarness.with("f.txt", crlf ? before.replace("\n", "\r\n") : before);
      ToolResult r = h.edit("f.txt", "\na\n  b\n", "");
      assertThat(h.text("f.txt")).as("crlf " + crlf).isEqualTo(crlf ? after.replace("\n", "\r\n") : after);
      assertThat(r.content()).contains("lines 7-9 removed", "matched ignoring trailing whitespace");
    }
  }

  @Test
  void theSameQuoteIsStillTakenLiterallyWhenNoWholeLineMatchExists() {
    // Nothing but the text after line 2's end matches, so the quote is applied as written.
    ToolHarness h = ToolHarness.with("f.txt", "x\ny\n  foo();\nz\n");
    h.edit("f.txt", "\n  foo();\n", "\n  bar();\n");
    assertThat(h.text("f.txt")).isEqualTo("x\ny\n  bar();\nz\n");
  }

  @Test
  void aLeadingNewlineWithoutAFinalOneStillDeletesTheLineAfterAnotherLine() {
    // The empty line 4 and line 5 would match ignoring indentation; the quote ends mid-line, so it is
    // no list of whole lines, and "newline before the line" is what deleting it means.
    ToolHarness h = ToolHarness.with("f.txt", "bar();\n  foo();\nbaz();\n\nfoo();\n");
    h.edit("f.txt", "\n  foo();", "");
    assertThat(h.text("f.txt")).isEqualTo("bar();\nbaz();\n\nfoo();\n");
  }

  @Test
  void aQuoteMatchingAtAnEmptyLineAndAfterAnotherLineIsAmbiguous() {
    String text = "x\n\nfoo\ny\nfoo\n";
    ToolHarness h = ToolHarness.with("f.txt", text);
    assertThatThrownBy(() -> h.edit("f.txt", "\nfoo\n", "\nbar\n"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("matches 2 places");
    assertThat(h.text("f.txt")).isEqualTo(text);
  }

  @Test
  void aLineTheQuoteShowsTwiceButKeepsOnceIsTheFirstCopyOfTheFile() {
    // The file tells lines 1 and 2 apart by a trailing space the quote dropped; the model's text says
    // only that one "  b" stays, and Replacer keeps the first copy (documented there).
    ToolHarness h = ToolHarness.with("f.txt", "  b\n  b \na\na\n  b\n");
    h.edit("f.txt", "  b\n  b\n", "  b\n");
    assertThat(h.text("f.txt")).isEqualTo("  b\na\na\n  b\n");
  }
}
