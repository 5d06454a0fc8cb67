package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EditFileTest {
  private static final String APP = """
      import { useState } from 'react'

      function App() {
        const [count, setCount] = useState(0)

        return (
          <button onClick={() => setCount(count + 1)}>
            count is {count}
          </button>
        )
      }

      export default App
      """;

  @Test
  void exactReplacementReportsTheChangedLinesAndASnippet() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    ToolResult r = h.edit("src/App.jsx", "useState(0)", "useState(10)");

    assertThat(h.text("src/App.jsx")).isEqualTo(APP.replace("useState(0)", "useState(10)"));
    assertThat(r.summary()).isEqualTo("edited src/App.jsx (line 4)");
    assertThat(r.touchedPaths()).containsExactly("src/App.jsx");
    assertThat(r.content()).isEqualTo("""
        Edited src/App.jsx: line 4 of 13 changed.
        2\t
        3\tfunction App() {
        4\t  const [count, setCount] = useState(10)
        5\t
        6\t  return (
        """);
  }

  @Test
  void replaceAllChangesEveryOccurrence() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    ObjectNode args = ToolHarness.JSON.createObjectNode().put("path", "src/App.jsx").put("old_string", "count")
        .put("new_string", "clicks").put("replace_all", true);
    ToolResult r = h.call("edit_file", args);

    assertThat(h.text("src/App.jsx")).isEqualTo(APP.replace("count", "clicks"));
    assertThat(r.content()).startsWith("Edited src/App.jsx: 4 replacements, lines 4-8 of 13 changed.\n");
  }

  @Test
  void severalMatchesAreRefusedWithTheirLineNumbers() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    assertThatThrownBy(() -> h.edit("src/App.jsx", "count", "clicks"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("old_string matches 4 places in src/App.jsx, on lines 4, 7, 8. Add more surrounding "
            + "lines to old_string so that it matches exactly one place, or set replace_all to true to change every "
            + "occurrence.");
    assertThat(h.text("src/App.jsx")).isEqualTo(APP);
  }

  @Test
  void notFoundShowsTheClosestRegionWithLineNumbers() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    assertThatThrownBy(() -> h.edit("src/App.jsx", "<button onClick={() => setCount(count + 2)}>\n  count was {count}\n",
        "<button>\n"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("""
            old_string was not found in src/App.jsx, not even when ignoring whitespace and Unicode punctuation. \
            The most similar part of the file is lines 7-8:
            7\t    <button onClick={() => setCount(count + 1)}>
            8\t      count is {count}

            Copy old_string exactly from the file as it is now (read_file with offset, limit and line_numbers shows \
            the lines; do not include the line numbers) and try again.""");
  }

  @Test
  void identicalOldAndNewAreRefused() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    assertThatThrownBy(() -> h.edit("src/App.jsx", "useState(0)", "useState(0)"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("old_string and new_string are identical, so nothing would change in src/App.jsx. Put the current "
            + "text in old_string and the text you want in new_string.");
  }

  @Test
  void trailingWhitespaceInTheFileIsIgnoredAndKeptOnUnchangedLines() {
    String before = "a {   \n  color: red;  \n  margin: 0;\n}\n";
    ToolHarness h = ToolHarness.with("a.css", before);
    ToolResult r = h.edit("a.css", "a {\n  color: red;\n  margin: 0;\n", "a {\n  color: blue;\n  margin: 0;\n");

    assertThat(h.text("a.css")).isEqualTo("a {   \n  color: blue;\n  margin: 0;\n}\n");
    assertThat(r.content()).contains("matched ignoring trailing whitespace");
  }

  @Test
  void wrongIndentationIsIgnoredAndTheReplacementIsReindented() {
    String before = "function f() {\n    if (x) {\n        go();\n    }\n}\n";
    ToolHarness h = ToolHarness.with("f.js", before);
    // The model saw two-space indentation and wrote its replacement that way.
    ToolResult r = h.edit("f.js", "  if (x) {\n    go();\n  }\n", "  if (x) {\n    go();\n    if (y) {\n      stop();\n    }\n  }\n");

    assertThat(h.text("f.js")).isEqualTo(
        "function f() {\n    if (x) {\n        go();\n        if (y) {\n            stop();\n        }\n    }\n}\n");
    assertThat(r.content()).contains("matched ignoring indentation; the new text was re-indented to the file's");
  }

  @Test
  void spacesAreReindentedToTabs() {
    String before = "function f() {\n\tif (x) {\n\t\tgo();\n\t}\n}\n";
    ToolHarness h = ToolHarness.with("f.js", before);
    h.edit("f.js", "if (x) {\n  go();\n}", "if (x) {\n  go();\n  again();\n}");

    assertThat(h.text("f.js")).isEqualTo("function f() {\n\tif (x) {\n\t\tgo();\n\t\tagain();\n\t}\n}\n");
  }

  @Test
  void aQuoteWithoutItsLinesIndentationIsReindented() {
    ToolHarness h = ToolHarness.with("f.js", "function f() {\n    go();\n}\n");
    // Taken literally, stop() would land at column 0.
    h.edit("f.js", "go();\n", "go();\nstop();\n");
    assertThat(h.text("f.js")).isEqualTo("function f() {\n    go();\n    stop();\n}\n");
  }

  @Test
  void aWholeLineMatchWinsOverOneInsideAnotherLinesIndentation() {
    ToolHarness h = ToolHarness.with("a.txt", "  foo\n    foo\n");
    h.edit("a.txt", "  foo\n", "  bar\n");
    assertThat(h.text("a.txt")).isEqualTo("  bar\n    foo\n");
  }

  @Test
  void newLinesIndentedInAnotherUnitThanATabIndentedFileAreReindented() {
    ToolHarness h = ToolHarness.with("index.html", "<html>\n\t<body>\n\t\t<p>x</p>\n\t</body>\n</html>\n");
    h.edit("index.html", "<html>\n", "<html>\n  <head>\n    <title>x</title>\n  </head>\n");
    assertThat(h.text("index.html")).isEqualTo(
        "<html>\n\t<head>\n\t\t<title>x</title>\n\t</head>\n\t<body>\n\t\t<p>x</p>\n\t</body>\n</html>\n");
  }

  @Test
  void curlyQuotesAndDashesInTheFileMatchAsciiAndAreKept() {
    String before = "<p>Don\u2019t stop \u2014 it\u2019s \u201Cfine\u201D\u2026</p>\n<p>Next</p>\n";
    ToolHarness h = ToolHarness.with("index.html", before);
    ToolResult r = h.edit("index.html", "<p>Don't stop - it's \"fine\"...</p>\n<p>Next</p>",
        "<p>Don't stop - it's \"fine\"... really</p>\n<p>Next</p>");

    assertThat(h.text("index.html")).isEqualTo("<p>Don\u2019t stop \u2014 it\u2019s \u201Cfine\u201D\u2026 really</p>\n<p>Next</p>\n");
    assertThat(r.content()).contains("matched ignoring whitespace and Unicode punctuation");
  }

  @Test
  void aOneLineFragmentMatchesInsideALineWithPunctuationFolded() {
    ToolHarness h = ToolHarness.with("a.jsx", "<h1>It\u2019s \u201Chere\u201D</h1>\n");
    h.edit("a.jsx", "It's \"here\"", "It's \"there\"");

    assertThat(h.text("a.jsx")).isEqualTo("<h1>It\u2019s \u201Cthere\u201D</h1>\n");
  }

  @Test
  void nonBreakingSpacesMatchPlainSpaces() {
    ToolHarness h = ToolHarness.with("a.html", "<p>10\u00A0km away</p>\n");
    h.edit("a.html", "<p>10 km away</p>", "<p>12 km away</p>");

    assertThat(h.text("a.html")).isEqualTo("<p>12\u00A0km away</p>\n");
  }

  @Test
  void crlfFilesStayCrlf() {
    String before = "line one\r\nline two\r\nline three\r\n";
    ToolHarness h = ToolHarness.with("a.txt", before);
    ToolResult r = h.edit("a.txt", "line two\n", "line 2\nline 2b\n");

    assertThat(h.text("a.txt")).isEqualTo("line one\r\nline 2\r\nline 2b\r\nline three\r\n");
    assertThat(r.content()).contains("the file keeps its CRLF line ends");
  }

  @Test
  void aByteOrderMarkIsKept() {
    ToolHarness h = ToolHarness.with("a.txt", "\uFEFFhello\n");
    h.edit("a.txt", "hello", "bye");
    assertThat(h.sandbox.read("a.txt").bytes()).isEqualTo("\uFEFFbye\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void severalEditsApplyInOrder() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    h.call("edit_file", """
        {"path": "src/App.jsx", "edits": [
          {"old_string": "useState(0)", "new_string": "useState(5)"},
          {"old_string": "count is {count}", "new_string": "clicked {count} times"},
          {"old_string": "clicked {count} times", "new_string": "clicked {count} times!"}
        ]}""");
    assertThat(h.text("src/App.jsx")).isEqualTo(APP.replace("useState(0)", "useState(5)")
        .replace("count is {count}", "clicked {count} times!"));
  }

  @Test
  void aFailingSecondEditLeavesTheFileUntouched() {
    ToolHarness h = ToolHarness.with("src/App.jsx", APP);
    assertThatThrownBy(() -> h.call("edit_file", """
        {"path": "src/App.jsx", "edits": [
          {"old_string": "useState(0)", "new_string": "useState(5)"},
          {"old_string": "no such text", "new_string": "x"}
        ]}"""))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageStartingWith("edit 2 of 2 failed, so none of the edits was applied: old_string was not found in src/App.jsx");
    assertThat(h.text("src/App.jsx")).isEqualTo(APP);
  }

  @Test
  void anEmptyOldStringCreatesAMissingFileButIsRefusedOnAFileWithContent() {
    ToolHarness h = ToolHarness.with("a.txt", "x\n");
    ToolResult r = h.edit("b.txt", "", "new file\n");
    assertThat(h.text("b.txt")).isEqualTo("new file\n");
    assertThat(r.content()).startsWith("Created b.txt: line 1 of 1 added.");
    assertThatThrownBy(() -> h.edit("a.txt", "", "y"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageStartingWith("old_string is empty, but a.txt is not");
  }

  @Test
  void aMissingFileIsNotFoundAndPointsAtWriteFile() {
    ToolHarness h = ToolHarness.with("a.txt", "x\n");
    assertThatThrownBy(() -> h.edit("src/nope.js", "a", "b"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("src/nope.js does not exist; to create it, use write_file (check the path with list_files)");
  }

  @Test
  void pathsGoThroughTheSandboxConfinement() {
    ToolHarness h = ToolHarness.with("a.txt", "x\n");
    assertThatThrownBy(() -> h.edit("../etc/passwd", "root", "toor")).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> h.edit("/etc/passwd", "root", "toor")).isInstanceOf(PathRefusedException.class);
  }

  @Test
  void binaryFilesAreRefused() {
    InMemorySandbox sandbox = InMemorySandbox.builder("app").file("logo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1}).build();
    ToolHarness h = new ToolHarness(sandbox);
    assertThatThrownBy(() -> h.edit("logo.png", "PNG", "JPG"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("logo.png is a binary file (6 bytes); edit_file only changes text files");
  }

  @Test
  void argumentsAreSchemaValidated() {
    ToolHarness h = ToolHarness.with("a.txt", "x\n");
    assertThatThrownBy(() -> h.call("edit_file", "{\"path\": \"a.txt\", \"old\": \"x\", \"new_string\": \"y\"}"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("unknown argument 'old'");
    assertThatThrownBy(() -> h.call("edit_file", "{\"path\": \"a.txt\", \"edits\": [{\"old_string\": \"x\"}]}"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("invalid arguments for edit_file: missing required 'edits[0].new_string'");
    assertThatThrownBy(() -> h.call("edit_file", "{\"path\": \"a.txt\", \"old_string\": \"x\"}"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("missing new_string: give old_string and new_string (or a list of them as edits)");
    assertThatThrownBy(() -> h.call("edit_file", "{\"path\": \"a.txt\", \"old_string\": \"x\", \"new_string\": \"y\", "
        + "\"edits\": [{\"old_string\": \"x\", \"new_string\": \"y\"}]}"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("give either old_string and new_string or edits, not both");
  }

  @Test
  void theThirdFailureOnAFileTellsTheModelToFallBackToWriteFile() {
    ToolHarness h = ToolHarness.with("a.txt", "hello\n", "b.txt", "other\n");
    String hint = "Editing a.txt has now failed 3 times in a row. Stop patching it: read it with read_file and write "
        + "its complete new content with write_file.";
    assertThatThrownBy(() -> h.edit("a.txt", "nope", "x")).hasMessageNotContaining("write_file.");
    assertThatThrownBy(() -> h.edit("b.txt", "nope", "x")).hasMessageNotContaining("write_file.");
    assertThatThrownBy(() -> h.edit("a.txt", "nope", "x")).hasMessageNotContaining("write_file.");
    assertThatThrownBy(() -> h.edit("a.txt", "nope", "x"))
        .isInstanceOf(InvalidArgumentException.class)
        .satisfies(e -> assertThat(((ChatBuilderException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageEndingWith("\n\n" + hint);
    // Another run starts counting afresh; a success resets the count.
    h.runId = "run-2";
    assertThatThrownBy(() -> h.edit("a.txt", "nope", "x")).hasMessageNotContaining("write_file.");
    h.runId = "run-1";
    h.edit("a.txt", "hello", "hi");
    assertThatThrownBy(() -> h.edit("a.txt", "nope", "x")).hasMessageNotContaining("write_file.");
  }
}
