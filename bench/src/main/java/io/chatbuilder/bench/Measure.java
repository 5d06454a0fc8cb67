package io.chatbuilder.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a measurement: warm-up iterations, then timed repetitions with {@link System#nanoTime()}.
 * Each iteration may first do untimed preparation (e.g. change a file) that the timed part needs.
 */
final class Measure {
  /** Untimed preparation before one iteration; gets the iteration number (warm-ups included). */
  interface Prepare {
    void run(int iteration) throws Exception;
  }

  /** The timed part of one iteration. */
  interface Timed {
    void run(int iteration) throws Exception;
  }

  private final int warmups;
  private final int repetitions;

  Measure(int warmups, int repetitions) {
    if (warmups < 0 || repetitions < 1) {
      throw new IllegalArgumentException("warmups >= 0 and repetitions >= 1");
    }
    this.warmups = warmups;
    this.repetitions = repetitions;
  }

  int warmups() {
    return warmups;
  }

  int repetitions() {
    return repetitions;
  }

  Stats run(Prepare prepare, Timed timed) {
    List<Long> samples = new ArrayList<>(repetitions);
    int total = warmups + repetitions;
    for (int i = 0; i < total; i++) {
      try {
        prepare.run(i);
        long start = System.nanoTime();
        timed.run(i);
        long elapsed = System.nanoTime() - start;
        if (i >= warmups) {
          samples.add(elapsed);
        }
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return Stats.ofNanos(samples);
  }

  Stats run(Timed timed) {
    return run(i -> { }, timed);
  }
}
