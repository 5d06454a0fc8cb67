package io.chatbuilder.tools.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The module exports its API package only, to everyone, and is not open. */
class ModuleDescriptorTest {
  @Test
  void exportsOnlyTheApiPackage() {
    ModuleDescriptor module = ModuleFinder.of(Path.of("target/classes")).find("io.chatbuilder.tools.mcp").orElseThrow().descriptor();
    assertThat(module.exports()).singleElement().satisfies(e -> {
      assertThat(e.source()).isEqualTo("io.chatbuilder.tools.mcp");
      assertThat(e.targets()).isEmpty();
    });
    assertThat(module.isOpen()).isFalse();
    assertThat(module.opens()).isEmpty();
  }
}
