package io.chatbuilder.bench;

import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** B7: {@code LocalSandbox.search} against ripgrep and {@code grep -rn} on the same tree. */
final class SearchBench {
  /** Selective enough for a few thousand matches in 3,000 files; the same syntax in Java, rg and grep -E. */
  static final String REGEX = "useState\\(initial \\?\\? 9[0-9]{2}\\)";

  private final BenchConfig config;

  SearchBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    Path base = config.workDir().resolve("b7");
    Workspace.deleteTree(base);
    Workspace tree = Workspace.generate(base.resolve("app"), config.searchFiles(), CheckpointBench.SEED);
    List<Result> results = new ArrayList<>();
    try (LocalSandbox sandbox = LocalSandbox.builder(tree.root()).unisolated().build()) {
      Measure m = config.measure();
      for (boolean regex : new boolean[] {false, true}) {
        String pattern = regex ? REGEX : Workspace.MARKER;
        SearchQuery query = new SearchQuery(pattern, regex, false, List.of(), 1_000_000, 0, Duration.ofSeconds(60));
        int[] ourMatches = new int[1];
        Stats ours = m.run(i -> {
          SearchResult r = sandbox.search(query);
          CheckpointBench.check(!r.truncated(), "B7: our search was truncated");
          ourMatches[0] = r.matches().size();
        });
        List<String> rg = new ArrayList<>(List.of("rg", "--no-config", "-n"));
        rg.add(regex ? "-e" : "-F");
        rg.add(pattern);
        rg.add(".");
        List<String> grep = List.of("grep", "-rn", regex ? "-E" : "-F", pattern, ".");
        for (List<String> peerArgv : List.of(rg, grep)) {
          long[] lines = new long[1];
          Stats peer = m.run(i -> lines[0] = Processes.run(tree.root(), Map.of(), false, peerArgv, 0, 1).stdoutLines());
          CheckpointBench.check(lines[0] == ourMatches[0],
              "B7: " + peerArgv.get(0) + " found " + lines[0] + " matching lines, we found " + ourMatches[0]);
          boolean isRg = peerArgv.get(0).equals("rg");
          String kind = regex ? "regex" : "literal";
          Map<String, Object> sizes = CheckpointBench.sizes(tree);
          sizes.put("matches", ourMatches[0]);
          Map<String, Object> extra = new LinkedHashMap<>();
          extra.put("pattern", pattern);
          Result r = Result.timed("B7", "B7 " + kind + " vs " + peerArgv.get(0), Optional.empty(),
              "LocalSandbox.search (" + kind + ")", ours, String.join(" ", peerArgv), peer, 0, "", sizes, extra);
          results.add(isRg
              ? CheckpointBench.withTarget(r, "ratio >= 0.33 (ours <= 3x rg)", r.ratio() >= 1.0 / 3.0)
              : CheckpointBench.withTarget(r, "ratio > 1 (faster than grep)", r.ratio() > 1.0));
        }
      }
    }
    Workspace.deleteTree(base);
    return results;
  }
}
