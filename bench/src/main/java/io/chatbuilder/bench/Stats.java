package io.chatbuilder.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Timings of the repetitions of one measurement, in milliseconds: the median and its spread
 * (min, p10, p90, max).
 */
record Stats(double medianMs, double minMs, double p10Ms, double p90Ms, double maxMs, int repetitions) {

  static Stats ofNanos(List<Long> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    double[] ms = samples.stream().mapToDouble(n -> n / 1_000_000.0).sorted().toArray();
    return new Stats(percentile(ms, 50), ms[0], percentile(ms, 10), percentile(ms, 90), ms[ms.length - 1], ms.length);
  }

  /** One value measured once (e.g. a total over a batch), with no spread. */
  static Stats single(double ms) {
    return new Stats(ms, ms, ms, ms, ms, 1);
  }

  /** Linear interpolation between closest ranks. */
  static double percentile(double[] sorted, double p) {
    if (sorted.length == 1) {
      return sorted[0];
    }
    double rank = p / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = (int) Math.ceil(rank);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%s [%s-%s]", fmt(medianMs), fmt(p10Ms), fmt(p90Ms));
  }

  static String fmt(double ms) {
    if (ms >= 100) {
      return String.format(java.util.Locale.ROOT, "%.0f", ms);
    }
    if (ms >= 10) {
      return String.format(java.util.Locale.ROOT, "%.1f", ms);
    }
    if (ms >= 1) {
      return String.format(java.util.Locale.ROOT, "%.2f", ms);
    }
    return String.format(java.util.Locale.ROOT, "%.3f", ms);
  }

  double[] asArray() {
    return new double[] {medianMs, minMs, p10Ms, p90Ms, maxMs};
  }

  @SuppressWarnings("unused")
  private static String debug(double[] a) {
    return Arrays.toString(a);
  }
}
