package io.chatbuilder.bench;

import io.chatbuilder.bench.EditCorpus.Case;
import io.chatbuilder.bench.EditCorpus.Style;
import io.chatbuilder.bench.EditCorpusRun.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * B10: the edit corpus through {@code edit_file} and through {@code apply_patch}, each against
 * {@code write_file} of the whole file: the success rate (every call succeeded and the files are
 * exactly the intended ones) and the bytes of tool input the changes need. The ratio is of bytes,
 * {@code write_file / ours}; the times (running the whole corpus through the tools) are reported
 * but are not the point.
 */
final class EditBench {
  static final double MIN_SUCCESS = 0.90;
  static final double MIN_BYTES_RATIO = 2.0;

  private final BenchConfig config;

  EditBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    List<Case> cases = EditCorpus.generate();
    List<EditCorpusRun.Result> peer = runAll(cases, Style.WRITE_FILE);
    Stats peerStats = config.measure().run(i -> runAll(cases, Style.WRITE_FILE));
    List<Result> out = new ArrayList<>();
    for (Style style : List.of(Style.EDIT_FILE, Style.APPLY_PATCH)) {
      List<EditCorpusRun.Result> ours = runAll(cases, style);
      Stats oursStats = config.measure().run(i -> runAll(cases, style));
      out.add(result(cases, style, ours, oursStats, peer, peerStats));
    }
    return out;
  }

  static List<EditCorpusRun.Result> runAll(List<Case> cases, Style style) {
    List<EditCorpusRun.Result> results = new ArrayList<>(cases.size());
    for (Case c : cases) {
      results.add(EditCorpusRun.run(c, style));
    }
    return results;
  }

  private static Result result(List<Case> cases, Style style, List<EditCorpusRun.Result> ours, Stats oursStats,
      List<EditCorpusRun.Result> peer, Stats peerStats) {
    long oursBytes = cases.stream().mapToLong(c -> c.bytes(style)).sum();
    long peerBytes = cases.stream().mapToLong(c -> c.bytes(Style.WRITE_FILE)).sum();
    double ratio = (double) peerBytes / oursBytes;
    Map<Outcome, Integer> tally = count(ours);
    double success = (double) tally.getOrDefault(Outcome.SUCCESS, 0) / cases.size();
    // Over the changes to existing files only (new and deleted files cost the same either way).
    List<Case> edits = cases.stream().filter(c -> c.before().values().stream().allMatch(Optional::isPresent)
        && c.after().values().stream().allMatch(Optional::isPresent)).toList();
    List<Double> perCase = edits.stream().map(c -> (double) c.bytes(Style.WRITE_FILE) / c.bytes(style)).sorted().toList();

    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("ours_bytes", oursBytes);
    extra.put("peer_bytes", peerBytes);
    extra.put("success_rate", Result.round(success));
    extra.put("successes", tally.getOrDefault(Outcome.SUCCESS, 0));
    extra.put("failures", tally.getOrDefault(Outcome.FAILED, 0));
    extra.put("wrong_results", tally.getOrDefault(Outcome.WRONG_RESULT, 0));
    Map<Outcome, Integer> peerTally = count(peer);
    extra.put("peer_success_rate", Result.round((double) peerTally.getOrDefault(Outcome.SUCCESS, 0) / cases.size()));
    extra.put("peer_wrong_results", peerTally.getOrDefault(Outcome.WRONG_RESULT, 0));
    extra.put("median_case_bytes_ratio", Result.round(perCase.get(perCase.size() / 2)));
    extra.put("min_case_bytes_ratio", Result.round(perCase.get(0)));
    Map<String, String> byCategory = new TreeMap<>();
    Map<String, int[]> counts = new TreeMap<>();
    for (EditCorpusRun.Result r : ours) {
      int[] n = counts.computeIfAbsent(r.c().category(), k -> new int[2]);
      n[1]++;
      if (r.outcome() == Outcome.SUCCESS) {
        n[0]++;
      }
    }
    counts.forEach((k, n) -> byCategory.put(k, n[0] + "/" + n[1]));
    extra.put("success_by_category", byCategory);
    Map<String, Integer> levels = new TreeMap<>();
    ours.stream().filter(r -> r.outcome() == Outcome.SUCCESS).forEach(r -> levels.merge(r.level(), 1, Integer::sum));
    extra.put("successes_by_match_level", levels);

    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("cases", cases.size());
    sizes.put("edits_of_existing_files", edits.size());
    String name = String.format(Locale.ROOT, "B10 %s corpus N=%d", style.tool, cases.size());
    String target = String.format(Locale.ROOT, "success >= %.0f%%, bytes ratio >= %.0f", MIN_SUCCESS * 100, MIN_BYTES_RATIO);
    boolean met = success >= MIN_SUCCESS && ratio >= MIN_BYTES_RATIO && tally.getOrDefault(Outcome.WRONG_RESULT, 0) == 0;
    return new Result("B10", name, Optional.empty(), style.tool + " calls for " + cases.size() + " changes (success "
        + String.format(Locale.ROOT, "%.1f%%", success * 100) + ")", oursStats, "write_file of the whole file", peerStats,
        ratio, "bytes", target, met, sizes, extra);
  }

  private static Map<Outcome, Integer> count(List<EditCorpusRun.Result> results) {
    Map<Outcome, Integer> m = new TreeMap<>();
    results.forEach(r -> m.merge(r.outcome(), 1, Integer::sum));
    return m;
  }
}
