package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Core's module descriptor exports every API package to everyone and {@code core.internal} only to
 * the project's modules that share its pieces; a new package must be placed on purpose.
 */
class ModuleDescriptorsTest {
  @Test
  void exportsExactlyTheApiPackagesAndInternalOnlyToOurOwnModules() throws Exception {
    ModuleDescriptor core = ModuleFinder.of(Path.of("target/classes")).find("io.chatbuilder.core").orElseThrow().descriptor();
    Map<String, Set<String>> exports = new TreeMap<>();
    core.exports().forEach(e -> exports.put(e.source(), e.targets()));

    Set<String> packages;
    try (Stream<Path> dirs = Files.walk(Path.of("src/main/java/io/chatbuilder/core"))) {
      packages = dirs.filter(Files::isDirectory)
          .filter(d -> {
            try (Stream<Path> files = Files.list(d)) {
              return files.anyMatch(f -> f.toString().endsWith(".java"));
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(d -> Path.of("src/main/java").relativize(d).toString().replace('/', '.'))
          .collect(Collectors.toSet());
    }
    assertThat(exports.keySet()).as("every package is exported (API) or qualified (internal)").isEqualTo(packages);
    assertThat(exports.get("io.chatbuilder.core.internal"))
        .containsExactlyInAnyOrder("io.chatbuilder.models", "io.chatbuilder.sandbox.remote");
    exports.forEach((pkg, targets) -> {
      if (!pkg.endsWith(".internal")) {
        assertThat(targets).as(pkg + " is API, exported to everyone").isEmpty();
      }
    });
    assertThat(core.isOpen()).isFalse();
  }
}
