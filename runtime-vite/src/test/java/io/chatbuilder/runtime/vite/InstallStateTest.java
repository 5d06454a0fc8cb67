package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallStateTest {
  private static final String HASH = "a".repeat(64);

  @Test
  void inMemoryByDefault(@TempDir Path dir) throws Exception {
    InstallState state = new InstallState(Optional.empty());
    assertThat(state.installed("shop")).isEmpty();
    state.record("shop", HASH);
    assertThat(state.installed("shop")).hasValue(HASH);
    assertThat(new InstallState(Optional.empty()).installed("shop")).as("nothing survives").isEmpty();
    state.forget("shop");
    assertThat(state.installed("shop")).isEmpty();
  }

  @Test
  void aStateDirectorySurvivesARestartAndDamagedRecordsAreIgnored(@TempDir Path dir) throws Exception {
    Path states = dir.resolve("state");
    new InstallState(Optional.of(states)).record("shop", HASH);
    assertThat(new InstallState(Optional.of(states)).installed("shop")).hasValue(HASH);
    try (var files = Files.list(states)) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("shop.installed");
    }

    Files.writeString(states.resolve("other.installed"), "not a hash");
    assertThat(new InstallState(Optional.of(states)).installed("other")).isEmpty();

    InstallState state = new InstallState(Optional.of(states));
    state.forget("shop");
    assertThat(new InstallState(Optional.of(states)).installed("shop")).isEmpty();
  }
}
