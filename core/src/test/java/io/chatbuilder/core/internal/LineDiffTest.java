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

  @Test
  void aLargeFileWithTwoDistantEditsDiffsAsTwoEdits() {
    // The (a x b) LCS this class used gave up above 2,000 x 2,000 middle lines and counted all of
    // these 2,900 lines as replaced; Myers' search costs the number of differences, not the size.
    StringBuilder a = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      a.append("line ").append(i).append('\n');
    }
    String b = a.toString().replace("line 50\n", "line fifty\n").replace("line 2950\n", "line 2950\nadded\n");
    assertThat(LineDiff.counts(a.toString(), b)).containsExactly(2, 1);
    String diff = LineDiff.unified("a/f", "b/f", a.toString(), b, 3);
    assertThat(diff.split("\n")).filteredOn(l -> l.startsWith("@@")).containsExactly("@@ -48,7 +48,7 @@", "@@ -2949,6 +2949,7 @@");
  }

  @Test
  void editScriptsReplayToTheNewText() {
    java.util.Random random = new java.util.Random(42);
    for (int round = 0; round < 200; round++) {
      java.util.List<String> a = new java.util.ArrayList<>();
      int n = random.nextInt(60);
      for (int i = 0; i < n; i++) {
        a.add("l" + random.nextInt(8));
      }
      java.util.List<String> b = new java.util.ArrayList<>(a);
      for (int e = random.nextInt(10); e > 0; e--) {
        int at = b.isEmpty() ? 0 : random.nextInt(b.size());
        switch (random.nextInt(3)) {
          case 0 -> b.add(at, "n" + random.nextInt(8));
          case 1 -> { if (!b.isEmpty()) b.remove(at); }
          default -> { if (!b.isEmpty()) b.set(at, "c" + random.nextInt(8)); }
        }
      }
      java.util.List<String> fromA = new java.util.ArrayList<>();
      java.util.List<String> toB = new java.util.ArrayList<>();
      for (LineDiff.Edit e : LineDiff.edits(a, b)) {
        if (e.op() != '+') fromA.add(e.line());
        if (e.op() != '-') toB.add(e.line());
      }
      assertThat(fromA).as("round " + round).isEqualTo(a);
      assertThat(toB).as("round " + round).isEqualTo(b);
    }
  }
}
