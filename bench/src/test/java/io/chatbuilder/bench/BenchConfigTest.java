package io.chatbuilder.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchConfigTest {
  @Test
  void fullSuiteUsesTheIssuesSizes() {
    BenchConfig c = BenchConfig.parse();
    assertThat(c.scenarios()).containsExactlyElementsOf(BenchConfig.ALL_SCENARIOS);
    assertThat(c.stores()).containsExactly(StoreKind.values());
    assertThat(c.checkpointSizes()).containsExactly(1_000, 10_000, 50_000);
    assertThat(c.mediumFiles()).isEqualTo(10_000);
    assertThat(c.historySizes()).containsExactly(1_000, 10_000);
    assertThat(c.storageCheckpoints()).isEqualTo(100);
    assertThat(c.searchFiles()).isEqualTo(3_000);
    assertThat(c.remoteOperations()).isEqualTo(1_000);
    assertThat(c.agentToolCalls()).isEqualTo(1_000);
    assertThat(c.eventDeltas()).isEqualTo(2_000);
    assertThat(c.warmups()).isPositive();
    assertThat(c.repetitions()).isGreaterThan(1);
    assertThat(c.out().toString()).endsWith("results.json");
  }

  @Test
  void smokeIsOneTinyIteration() {
    BenchConfig c = BenchConfig.parse("--smoke");
    assertThat(c.warmups()).isZero();
    assertThat(c.repetitions()).isEqualTo(1);
    assertThat(c.checkpointSizes()).allMatch(n -> n <= 100);
    assertThat(c.out().toString()).endsWith("smoke-results.json");
  }

  @Test
  void selectsScenariosStoresAndSizes() {
    BenchConfig c = BenchConfig.parse("--scenarios", "b1,B7", "--stores", "git,pg", "--sizes", "100,200");
    assertThat(c.scenarios()).containsExactly("B1", "B7");
    assertThat(c.stores()).containsExactly(StoreKind.GIT, StoreKind.POSTGRESQL);
    assertThat(c.checkpointSizes()).isEqualTo(List.of(100, 200));
    assertThat(c.runs("B2")).isFalse();
  }

  @Test
  void refusesUnknownArguments() {
    assertThatThrownBy(() -> BenchConfig.parse("--scenarios", "B16")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("B16");
    assertThatThrownBy(() -> BenchConfig.parse("--stores", "oracle")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("oracle");
    assertThatThrownBy(() -> BenchConfig.parse("--sizes")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a value");
    assertThatThrownBy(() -> BenchConfig.parse("--fast")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--fast");
  }
}
