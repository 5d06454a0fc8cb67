package io.chatbuilder.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One measured case of a scenario: our time, the peer's time on an identical tree in the same run,
 * and {@code ratio = peer / ours} (above 1: we are faster or smaller).
 *
 * @param id the scenario (B1..B10)
 * @param name unique within a run, e.g. {@code B1 git N=10000}
 * @param store the checkpoint store, if the case uses one
 * @param ours what our side does
 * @param peer what the peer does
 * @param ratio peer / ours, of times unless {@code ratioOf} says otherwise
 * @param ratioOf what the ratio compares ("time" or "bytes")
 * @param target the target, in terms of the ratio
 * @param met whether the target was met
 * @param sizes the sizes used (files, checkpoints, operations, ...)
 * @param extra other measured facts (bytes, match counts, per-operation overhead, ...)
 */
record Result(
    String id,
    String name,
    Optional<String> store,
    String ours,
    Stats oursStats,
    String peer,
    Stats peerStats,
    double ratio,
    String ratioOf,
    String target,
    boolean met,
    Map<String, Object> sizes,
    Map<String, Object> extra) {

  /** A result whose ratio is peer time over our time and whose target is {@code ratio >= minRatio}. */
  static Result timed(String id, String name, Optional<String> store, String ours, Stats oursStats, String peer,
      Stats peerStats, double minRatio, String target, Map<String, Object> sizes, Map<String, Object> extra) {
    double ratio = peerStats.medianMs() / oursStats.medianMs();
    return new Result(id, name, store, ours, oursStats, peer, peerStats, ratio, "time", target, ratio >= minRatio,
        new LinkedHashMap<>(sizes), new LinkedHashMap<>(extra));
  }

  Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("name", name);
    store.ifPresent(s -> m.put("store", s));
    m.put("ours", ours);
    m.put("ours_ms", round(oursStats.medianMs()));
    m.put("ours_spread_ms", spread(oursStats));
    m.put("peer", peer);
    m.put("peer_ms", round(peerStats.medianMs()));
    m.put("peer_spread_ms", spread(peerStats));
    m.put("ratio", round(ratio));
    m.put("ratio_of", ratioOf);
    m.put("target", target);
    m.put("target_met", met);
    m.put("repetitions", oursStats.repetitions());
    m.put("sizes", sizes);
    if (!extra.isEmpty()) {
      m.put("extra", extra);
    }
    return m;
  }

  private static Map<String, Object> spread(Stats s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("min", round(s.minMs()));
    m.put("p10", round(s.p10Ms()));
    m.put("p90", round(s.p90Ms()));
    m.put("max", round(s.maxMs()));
    return m;
  }

  static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
