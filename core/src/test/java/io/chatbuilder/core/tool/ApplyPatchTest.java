package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApplyPatchTest {

  @Test
  void addUpdateMoveAndDeleteInOnePatch() {
    ToolHarness h = ToolHarness.with("src/app.py", "def greet():\n    print(\"Hi\")\n", "obsolete.txt", "old\n");
    ToolResult r = h.patch("""
        *** Begin Patch
        *** Add File: hello.txt
        +Hello world
        *** Update File: src/app.py
        *** Move to: src/main.py
        @@ def greet():
        -    print("Hi")
        +    print("Hello, world!")
        *** Delete File: obsolete.txt
        *** End Patch
        """);

    assertThat(h.text("hello.txt")).isEqualTo("Hello world\n");
    assertThat(h.text("src/main.py")).isEqualTo("def greet():\n    print(\"Hello, world!\")\n");
    assertThat(h.sandbox.tryRead("src/app.py")).isEmpty();
    assertThat(h.sandbox.tryRead("obsolete.txt")).isEmpty();
    assertThat(r.touchedPaths()).containsExactly("hello.txt", "src/app.py", "src/main.py", "obsolete.txt");
    assertThat(r.summary()).isEqualTo("patched A hello.txt, M src/app.py -> src/main.py, D obsolete.txt");
    assertThat(r.content()).isEqualTo("""
        Applied the patch:
        A hello.txt (1 lines)
        M src/app.py -> src/main.py: line 2
        D obsolete.txt
        src/main.py
        1\tdef greet():
        2\t    print("Hello, world!")
        """);
  }

  // The scenarios of Codex's apply-patch test fixtures, re-expressed.

  @Test
  void codexMultipleChunks() {
    ToolHarness h = ToolHarness.with("multi.txt", "line1\nline2\nline3\nline4\n");
    h.patch("*** Begin Patch\n*** Update File: multi.txt\n@@\n-line2\n+changed2\n@@\n-line4\n+changed4\n*** End Patch\n");
    assertThat(h.text("multi.txt")).isEqualTo("line1\nchanged2\nline3\nchanged4\n");
  }

  @Test
  void codexMoveToANewDirectoryAndOverAnExistingFile() {
    ToolHarness h = ToolHarness.with("old/name.txt", "old content\n", "old/other.txt", "unrelated\n",
        "renamed/dir/name.txt", "existing\n");
    h.patch("*** Begin Patch\n*** Update File: old/name.txt\n*** Move to: renamed/dir/name.txt\n@@\n-old content\n"
        + "+new content\n*** End Patch");
    assertThat(h.text("renamed/dir/name.txt")).isEqualTo("new content\n");
    assertThat(h.sandbox.tryRead("old/name.txt")).isEmpty();
    assertThat(h.text("old/other.txt")).isEqualTo("unrelated\n");
  }

  @Test
  void codexRejectsAnEmptyPatchAndAnEmptyUpdate() {
    ToolHarness h = ToolHarness.with("foo.txt", "stable\n");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** End Patch"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("the patch has no file operations between '*** Begin Patch' and '*** End Patch'");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: foo.txt\n*** End Patch"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("invalid patch: '*** Update File: foo.txt' has no hunks; give at least one '@@' hunk with the "
            + "lines to change");
    assertThat(h.text("foo.txt")).isEqualTo("stable\n");
  }

  @Test
  void codexRejectsMissingContextWithTheClosestLines() {
    ToolHarness h = ToolHarness.with("modify.txt", "line1\nline2\n");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: modify.txt\n@@\n-missing\n+changed\n*** End Patch"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("""
            could not find its lines of the hunk in modify.txt, not even when ignoring whitespace and Unicode \
            punctuation. Expected:
            missing
            Copy the context and '-' lines exactly from the file as it is now (read_file shows it) and send the whole \
            patch again; nothing was changed.""");
    assertThat(h.text("modify.txt")).isEqualTo("line1\nline2\n");
  }

  @Test
  void codexRejectsDeletingAMissingFileOrADirectoryAndUpdatingAMissingFile() {
    ToolHarness h = ToolHarness.with("dir/foo.txt", "x\n");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Delete File: missing.txt\n*** End Patch"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Delete File: missing.txt is not a file of the app (check the path with list_files)");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Delete File: dir\n*** End Patch"))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: missing.txt\n@@\n-a\n+b\n*** End Patch"))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("Update File: missing.txt does not exist; create a file with '*** Add File: missing.txt' (check the "
            + "path with list_files)");
    assertThat(h.text("dir/foo.txt")).isEqualTo("x\n");
  }

  @Test
  void codexRejectsAnInvalidHunkHeader() {
    ToolHarness h = ToolHarness.with("foo.txt", "x\n");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Frobnicate File: foo\n*** End Patch"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("invalid patch at line 2: '*** Frobnicate File: foo' is not a file operation; expected "
            + "'*** Add File: <path>', '*** Update File: <path>' or '*** Delete File: <path>'");
  }

  @Test
  void codexPureAdditionWithoutContextGoesToTheEnd() {
    ToolHarness h = ToolHarness.with("input.txt", "line1\nline2\n");
    h.patch("*** Begin Patch\n*** Update File: input.txt\n@@\n+added line 1\n+added line 2\n*** End Patch\n");
    assertThat(h.text("input.txt")).isEqualTo("line1\nline2\nadded line 1\nadded line 2\n");
  }

  @Test
  void aPureAdditionAfterAnAnchorGoesRightAfterIt() {
    ToolHarness h = ToolHarness.with("a.css", ".a {\n  color: red;\n}\n.b {\n  color: blue;\n}\n");
    h.patch("*** Begin Patch\n*** Update File: a.css\n@@ .a {\n+  margin: 0;\n*** End Patch");
    assertThat(h.text("a.css")).isEqualTo(".a {\n  margin: 0;\n  color: red;\n}\n.b {\n  color: blue;\n}\n");
  }

  @Test
  void codexWhitespacePaddedMarkersAndHeredocAreAccepted() {
    ToolHarness h = ToolHarness.with("foo.txt", "old\n", "file.txt", "one\n");
    h.patch("*** Begin Patch \n  *** Update File: foo.txt\n@@\n-old\n+new\n *** End Patch");
    h.patch("<<'EOF'\n*** Begin Patch\n*** Update File: file.txt\n@@\n-one\n+two\n*** End Patch\nEOF\n");
    assertThat(h.text("foo.txt")).isEqualTo("new\n");
    assertThat(h.text("file.txt")).isEqualTo("two\n");
  }

  @Test
  void codexUnicodeAndDeletionOnlyAndEndOfFile() {
    ToolHarness h = ToolHarness.with("foo.txt", "line1\nnaïve café\nline3\n", "lines.txt", "line1\nline2\nline3\n",
        "tail.txt", "first\nsecond\n");
    h.patch("*** Begin Patch\n*** Update File: foo.txt\n@@\n line1\n-naïve café\n+naïve café ✅\n*** End Patch");
    h.patch("*** Begin Patch\n*** Update File: lines.txt\n@@\n line1\n-line2\n line3\n*** End Patch");
    h.patch("*** Begin Patch\n*** Update File: tail.txt\n@@\n first\n-second\n+second updated\n*** End of File\n*** End Patch");
    assertThat(h.text("foo.txt")).isEqualTo("line1\nnaïve café ✅\nline3\n");
    assertThat(h.text("lines.txt")).isEqualTo("line1\nline3\n");
    assertThat(h.text("tail.txt")).isEqualTo("first\nsecond updated\n");
  }

  @Test
  void anEndOfFileHunkPrefersTheEndOfTheFile() {
    ToolHarness h = ToolHarness.with("a.txt", "}\nx\n}\n");
    h.patch("*** Begin Patch\n*** Update File: a.txt\n@@\n-}\n+};\n*** End of File\n*** End Patch");
    assertThat(h.text("a.txt")).isEqualTo("}\nx\n};\n");
  }

  @Test
  void anAddFileReplacesAnExistingFileAsInCodex() {
    ToolHarness h = ToolHarness.with("duplicate.txt", "old content\n");
    ToolResult r = h.patch("*** Begin Patch\n*** Add File: duplicate.txt\n+new content\n*** End Patch");
    assertThat(h.text("duplicate.txt")).isEqualTo("new content\n");
    assertThat(r.content()).contains("A (replaced) duplicate.txt (1 lines)");
  }

  @Test
  void severalAnchorsNarrowThePositionStepByStep() {
    String before = """
        class A {
          render() {
            return 1;
          }
        }
        class B {
          render() {
            return 1;
          }
        }
        """;
    ToolHarness h = ToolHarness.with("a.js", before);
    h.patch("*** Begin Patch\n*** Update File: a.js\n@@ class B {\n@@   render() {\n-    return 1;\n+    return 2;\n*** End Patch");
    assertThat(h.text("a.js")).isEqualTo("""
        class A {
          render() {
            return 1;
          }
        }
        class B {
          render() {
            return 2;
          }
        }
        """);
  }

  @Test
  void unanchoredContextThatMatchesSeveralPlacesIsRefused() {
    String before = "class A {\n  render() {\n    return 1;\n  }\n}\nclass B {\n  render() {\n    return 1;\n  }\n}\n";
    ToolHarness h = ToolHarness.with("a.js", before);
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: a.js\n@@\n   render() {\n-    return 1;\n+    return 2;\n*** End Patch"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessage("the context of the hunk for a.js matches 2 places, starting at lines 2, 7. Add an '@@ <line>' "
            + "anchor above the hunk naming the enclosing function, component or rule, or more context lines, so that "
            + "it matches one place.");
    assertThat(h.text("a.js")).isEqualTo(before);
  }

  @Test
  void aUnifiedDiffHeaderIsNotTakenForAnAnchor() {
    ToolHarness h = ToolHarness.with("a.txt", "one\ntwo\nthree\n");
    h.patch("*** Begin Patch\n*** Update File: a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n*** End Patch");
    assertThat(h.text("a.txt")).isEqualTo("one\n2\nthree\n");
  }

  @Test
  void eachCascadeLevelFindsTheHunkAndKeepsUnchangedLinesAsTheyWere() {
    // trailing whitespace in the file
    ToolHarness h = ToolHarness.with("a.css", "a {  \n  color: red;\n}\n");
    ToolResult r = h.patch("*** Begin Patch\n*** Update File: a.css\n@@\n a {\n-  color: red;\n+  color: blue;\n }\n*** End Patch");
    assertThat(h.text("a.css")).isEqualTo("a {  \n  color: blue;\n}\n");
    assertThat(r.content()).contains("1 hunk matched ignoring trailing whitespace.");

    // indentation: the model wrote two spaces where the file has four
    h = ToolHarness.with("a.js", "if (x) {\n    go();\n}\n");
    h.patch("*** Begin Patch\n*** Update File: a.js\n@@\n if (x) {\n   go();\n+  again();\n }\n*** End Patch");
    assertThat(h.text("a.js")).isEqualTo("if (x) {\n    go();\n    again();\n}\n");

    // Unicode punctuation: the model wrote ASCII quotes
    h = ToolHarness.with("a.html", "<p>It\u2019s \u201Cdone\u201D</p>\n<p>Next</p>\n");
    h.patch("*** Begin Patch\n*** Update File: a.html\n@@\n-<p>It's \"done\"</p>\n+<p>It's \"done\" now</p>\n <p>Next</p>\n*** End Patch");
    assertThat(h.text("a.html")).isEqualTo("<p>It\u2019s \u201Cdone\u201D now</p>\n<p>Next</p>\n");
  }

  @Test
  void crlfFilesStayCrlfAndAFileWithoutFinalNewlineKeepsLackingOne() {
    ToolHarness h = ToolHarness.with("a.txt", "one\r\ntwo\r\nthree\r\n", "b.txt", "one\ntwo");
    h.patch("*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+2\n three\n*** Update File: b.txt\n@@\n one\n-two\n+2\n*** End Patch");
    assertThat(h.text("a.txt")).isEqualTo("one\r\n2\r\nthree\r\n");
    assertThat(h.text("b.txt")).isEqualTo("one\n2");
  }

  @Test
  void aFailingLaterOperationLeavesEveryFileUntouched() {
    ToolHarness h = ToolHarness.with("a.txt", "a\n", "b.txt", "b\n");
    assertThatThrownBy(() -> h.patch("""
        *** Begin Patch
        *** Update File: a.txt
        @@
        -a
        +A
        *** Add File: c.txt
        +c
        *** Update File: b.txt
        @@
        -nope
        +B
        *** End Patch"""))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageStartingWith("could not find its lines of the hunk in b.txt");
    assertThat(h.text("a.txt")).isEqualTo("a\n");
    assertThat(h.text("b.txt")).isEqualTo("b\n");
    assertThat(h.sandbox.tryRead("c.txt")).isEmpty();
  }

  @Test
  void aWriteThatFailsAfterOthersSucceededPutsThemBack() {
    // The sandbox refuses files over 20 bytes: the check happens only when writing, after a.txt was written.
    InMemorySandbox sandbox = InMemorySandbox.builder("app").maxFileBytes(20).file("a.txt", "a\n").file("z.txt", "z\n").build();
    ToolHarness h = new ToolHarness(sandbox);
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+A\n*** Delete File: z.txt\n"
        + "*** Add File: big.txt\n+" + "x".repeat(40) + "\n*** End Patch"))
        .isInstanceOf(TooLargeException.class)
        .hasMessageStartingWith("the patch could not be written: cannot write big.txt")
        .hasMessageEndingWith("; no file was changed");
    assertThat(h.text("a.txt")).isEqualTo("a\n");
    assertThat(h.text("z.txt")).isEqualTo("z\n");
    assertThat(sandbox.tryRead("big.txt")).isEmpty();
  }

  @Test
  void pathsGoThroughTheSandboxConfinement() {
    ToolHarness h = ToolHarness.with("a.txt", "a\n");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Add File: ../evil.txt\n+x\n*** End Patch"))
        .isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Add File: /etc/evil\n+x\n*** End Patch"))
        .isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: a.txt\n*** Move to: ../../x\n@@\n-a\n+b\n*** End Patch"))
        .isInstanceOf(PathRefusedException.class);
    assertThat(h.text("a.txt")).isEqualTo("a\n");
  }

  @Test
  void syntaxErrorsSayWhatToFix() {
    ToolHarness h = ToolHarness.with("a.txt", "a\nb\n");
    assertThatThrownBy(() -> h.patch("*** Update File: a.txt\n@@\n-a\n+b\n*** End Patch"))
        .hasMessage("invalid patch: the first line must be '*** Begin Patch'");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+b"))
        .hasMessage("invalid patch: the last line must be '*** End Patch'");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Update File: a.txt\n@@\n-a\nb\n*** End Patch"))
        .hasMessage("invalid patch at line 5 (in a.txt): 'b' does not start with ' ', '-' or '+'. Every line of a hunk "
            + "needs one: a space for an unchanged line, '-' for a removed one, '+' for an added one; start a new hunk "
            + "with '@@'.");
    assertThatThrownBy(() -> h.patch("*** Begin Patch\n*** Add File: n.txt\n+one\ntwo\n*** End Patch"))
        .hasMessage("invalid patch at line 4: 'two' is not a file operation (every line of an added file starts with "
            + "'+'); expected '*** Add File: <path>', '*** Update File: <path>' or '*** Delete File: <path>'");
  }

  @Test
  void repeatedFailuresOnAFileEndInTheWriteFileHint() {
    ToolHarness h = ToolHarness.with("a.txt", "a\n");
    String bad = "*** Begin Patch\n*** Update File: a.txt\n@@\n-nope\n+b\n*** End Patch";
    for (int i = 1; i < EditFailures.HINT_AFTER; i++) {
      assertThatThrownBy(() -> h.patch(bad)).hasMessageNotContaining("write_file");
    }
    assertThatThrownBy(() -> h.patch(bad)).hasMessageEndingWith("Editing a.txt has now failed 3 times in a row. Stop "
        + "patching it: read it with read_file and write its complete new content with write_file.");
  }

  @Test
  void repeatedUnparseablePatchesEndInTheWriteFileHintToo() {
    ToolHarness h = ToolHarness.with("a.txt", "a\n");
    for (int i = 1; i < EditFailures.HINT_AFTER; i++) {
      assertThatThrownBy(() -> h.patch("patch a.txt please")).hasMessage("invalid patch: the first line must be '*** Begin Patch'");
    }
    assertThatThrownBy(() -> h.patch("patch a.txt please")).hasMessage("invalid patch: the first line must be "
        + "'*** Begin Patch'\n\nPatching has now failed 3 times in a row. Stop patching: read the files with read_file "
        + "and write their complete new content with write_file.");
  }

  @Test
  void parserReadsTheGrammar() {
    List<PatchParser.Op> ops = PatchParser.parse("""
        *** Begin Patch
        *** Add File: path/add.py
        +abc
        +def
        *** Delete File: path/delete.py
        *** Update File: path/update.py
        *** Move to: path/update2.py
        @@ def f():
        -    pass
        +    return 123

        @@
         x

        -y
        *** End of File
        *** End Patch""");
    assertThat(ops).containsExactly(
        new PatchParser.Add("path/add.py", "abc\ndef\n"),
        new PatchParser.Delete("path/delete.py"),
        new PatchParser.Update("path/update.py", java.util.Optional.of("path/update2.py"), List.of(
            new PatchParser.Chunk(List.of("def f():"), List.of("    pass", ""), List.of("    return 123", ""), false, 8),
            new PatchParser.Chunk(List.of(), List.of("x", "", "y"), List.of("x", ""), true, 12))));
  }
}
