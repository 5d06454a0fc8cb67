package io.chatbuilder.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceTest {
  @Test
  void sameSeedAndSizeGiveIdenticalTreesOfExactlyNFiles(@TempDir Path dir) throws Exception {
    Workspace a = Workspace.generate(dir.resolve("a"), 600, 7);
    Workspace b = Workspace.generate(dir.resolve("b"), 600, 7);
    assertThat(a.paths()).hasSize(600).isEqualTo(b.paths());
    for (String p : a.paths()) {
      assertThat(Files.readAllBytes(a.root().resolve(p))).isEqualTo(Files.readAllBytes(b.root().resolve(p)));
    }
    try (var files = Files.walk(a.root())) {
      assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(600);
    }
    assertThat(Workspace.sizeOf(a.root())).isEqualTo(a.bytes());
  }

  @Test
  void treeIsAFewDirectoriesDeepWithMixedSizes(@TempDir Path dir) throws Exception {
    Workspace w = Workspace.generate(dir, 1000, 1);
    assertThat(w.paths()).contains("index.html", "package.json", "src/main.jsx");
    assertThat(w.paths()).anyMatch(p -> p.split("/").length == 5); // src/features/featureK/kind/File
    long small = 0;
    long large = 0;
    for (String p : w.paths()) {
      long size = Files.size(w.root().resolve(p));
      if (size < 2048) {
        small++;
      } else if (size > 8192) {
        large++;
      }
    }
    assertThat(small).isGreaterThan(500);
    assertThat(large).isPositive();
    assertThat(w.paths().stream().filter(p -> {
      try {
        return Files.readString(w.root().resolve(p)).contains(Workspace.MARKER);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).count()).isPositive();
  }

  @Test
  void editsAreDeepRealChanges(@TempDir Path dir) throws Exception {
    Workspace w = Workspace.generate(dir, 300, 1);
    for (int i = 0; i < 20; i++) {
      String p = w.fileToEdit(i);
      assertThat(p).startsWith("src/features/");
      byte[] before = Files.readAllBytes(w.root().resolve(p));
      assertThat(w.edited(p, i)).isNotEqualTo(before).startsWith(before);
    }
  }
}
