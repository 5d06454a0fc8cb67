package io.chatbuilder.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void medianAndSpreadOfOddAndEvenSamples() {
    Stats odd = Stats.ofNanos(List.of(5_000_000L, 1_000_000L, 3_000_000L));
    assertThat(odd.medianMs()).isEqualTo(3.0);
    assertThat(odd.minMs()).isEqualTo(1.0);
    assertThat(odd.maxMs()).isEqualTo(5.0);
    assertThat(odd.repetitions()).isEqualTo(3);

    Stats even = Stats.ofNanos(List.of(4_000_000L, 1_000_000L, 2_000_000L, 3_000_000L));
    assertThat(even.medianMs()).isEqualTo(2.5);
    assertThat(even.p10Ms()).isCloseTo(1.3, within(1e-9));
    assertThat(even.p90Ms()).isCloseTo(3.7, within(1e-9));
  }

  @Test
  void oneSampleIsItsOwnSpread() {
    Stats one = Stats.ofNanos(List.of(2_500_000L));
    assertThat(one.asArray()).containsOnly(2.5);
  }

  @Test
  void noSamplesIsAnError() {
    assertThatThrownBy(() -> Stats.ofNanos(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void measureTimesOnlyTheRepetitionsAfterWarmUp() {
    int[] prepared = {0};
    int[] timed = {0};
    Stats s = new Measure(2, 3).run(i -> prepared[0]++, i -> timed[0]++);
    assertThat(prepared[0]).isEqualTo(5);
    assertThat(timed[0]).isEqualTo(5);
    assertThat(s.repetitions()).isEqualTo(3);
  }
}
