package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A restore split over many requests still applies deletions before writes. */
class RemoteApplyBatchTest {
  @Test
  void aFileAndADirectorySwapEvenWhenEveryFileTravelsAlone() {
    SandboxRegistry registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    InMemorySandbox backend = InMemorySandbox.builder("app").build();
    registry.register(backend, token);
    try (SandboxServer server = SandboxServer.builder(registry).start();
        RemoteSandbox sandbox = RemoteSandbox.builder(server.url(), "app", token).applyBatchBytes(1).build()) {
      sandbox.write("lib", bytes("a file"));
      Map<String, Optional<byte[]>> toDirectory = new TreeMap<>();
      toDirectory.put("lib", Optional.empty());
      toDirectory.put("lib/a.js", Optional.of(bytes("a")));
      toDirectory.put("lib/b.js", Optional.of(bytes("b")));
      sandbox.apply(toDirectory);
      assertThat(backend.files()).containsOnlyKeys("lib/a.js", "lib/b.js");

      Map<String, Optional<byte[]>> toFile = new TreeMap<>();
      toFile.put("lib", Optional.of(bytes("a file again")));
      toFile.put("lib/a.js", Optional.empty());
      toFile.put("lib/b.js", Optional.empty());
      sandbox.apply(toFile);
      assertThat(backend.files()).containsOnlyKeys("lib");
      assertThat(sandbox.read("lib").text()).contains("a file again");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
