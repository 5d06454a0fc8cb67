package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {
  @Test
  void listsEveryFileWithItsSha256InPathOrder(@TempDir Path dist) throws Exception {
    Files.createDirectories(dist.resolve("assets"));
    Files.writeString(dist.resolve("index.html"), "abc");
    Files.writeString(dist.resolve("assets/app.js"), "");
    var manifest = Manifests.of(dist);
    assertThat(manifest.keySet()).containsExactly("assets/app.js", "index.html");
    // well-known digests of "" and "abc"
    assertThat(manifest.get("assets/app.js")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(manifest.get("index.html")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    String expected = io.chatbuilder.core.checkpoint.ContentHash.sha256(("assets/app.js e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        + "index.html ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n").getBytes(StandardCharsets.UTF_8));
    assertThat(Manifests.hash(manifest)).isEqualTo(expected);
  }

  @Test
  void hashChangesWithAnyByteOrName() {
    String base = Manifests.hash(Map.of("a.js", "11", "b.js", "22"));
    assertThat(Manifests.hash(Map.of("b.js", "22", "a.js", "11"))).isEqualTo(base);
    assertThat(Manifests.hash(Map.of("a.js", "11", "b.js", "23"))).isNotEqualTo(base);
    assertThat(Manifests.hash(Map.of("a.js", "11", "c.js", "22"))).isNotEqualTo(base);
    assertThat(Manifests.hash(Map.of("a.js", "11"))).isNotEqualTo(base);
  }

  @Test
  void refusesSymbolicLinksInTheOutput(@TempDir Path dist) throws Exception {
    Files.createSymbolicLink(dist.resolve("passwd"), Path.of("/etc/passwd"));
    assertThatThrownBy(() -> Manifests.of(dist)).hasMessageContaining("symbolic link");
  }
}
