package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineDiffTest {
  @Test
  void countsAddedAndRemovedLines() {
    assertThat(LineDiff.counts("a\nb\nc\n", "a\nB\nc\nd\n")).containsExactly(2, 1);
    assertThat(LineDiff.counts("", "x\ny")).containsExactly(2, 0);
    assertThat(LineDiff.counts("x\ny\n", "")).containsExactly(0, 2);
    assertThat(LineDiff.counts("same\n", "same\n")).containsExactly(0, 0);
  }

  @Test
  void unifiedDiffHasHunksWithContext() {
    String before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    String after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n";
    assertThat(LineDiff.unified("a/f", "b/f", before, after, 2)).isEqualTo(
        "--- a/f\n+++ b/f\n@@ -3,5 +3,5 @@\n 3\n 4\n-5\n+five\n 6\n 7\n");
    assertThat(LineDiff.unified("a/f", "b/f", before, before, 3)).isEmpty();
    assertThat(LineDiff.unified("a/f", "b/f", "", "new\n", 3)).isEqualTo("--- a/f\n+++ b/f\n@@ -0,0 +1,1 @@\n+new\n");
  }

  @Test
  void separateHunksForDistantChanges() {
    StringBuilder a = new StringBuilder();
    for (int i = 1; i <= 30; i++) {
      a.append(i).append('\n');
    }
    String b = a.toString().replace("\n2\n", "\ntwo\n").replace("\n28\n", "\ntwenty-eight\n");
    String diff = LineDiff.unified("a/f", "b/f", a.toString(), b, 3);
    assertThat(diff.split("\n")).filteredOn(l -> l.startsWith("@@")).containsExactly("@@ -1,5 +1,5 @@", "@@ -25,6 +25,6 @@");
  }

  @Test
  void hugeRewritesStayBounded() {
    StringBuilder a = new StringBuilder();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      a.append("a").append(i).append('\n');
      b.append("b").append(i).append('\n');
    }
    assertThat(LineDiff.counts(a.toString(), b.toString())).containsExactly(5000, 5000);
  }
}
