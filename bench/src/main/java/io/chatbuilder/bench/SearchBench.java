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
    // Files younger than the racy window (2 s, as the change tracker) get their text check re-read at
    // every search, as git re-hashes racily clean entries; an app's files are mostly older than that.
    try {
      Thread.sleep(2500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    // The default search (ripgrep where installed) and the in-process byte search it falls back to.
    try (LocalSandbox sandbox = LocalSandbox.builder(tree.root()).unisolated().build();
        LocalSandbox fallback = LocalSandbox.builder(tree.root()).unisolated().ripgrep(false).build()) {
      Measure m = config.measure();
      for (boolean regex : new boolean[] {false, true}) {
        String pattern = regex ? REGEX : Workspace.MARKER;
        String kind = regex ? "regex" : "literal";
        SearchQuery query = new SearchQuery(pattern, regex, false, List.of(), 1_000_000, 0, Duration.ofSeconds(60));
        SearchResult[] last = new SearchResult[2];
        Stats ours = m.run(i -> {
          last[0] = sandbox.search(query);
          CheckpointBench.check(!last[0].truncated(), "B7: our search was truncated");
        });
        Stats ourFallback = m.run(i -> last[1] = fallback.search(query));
        CheckpointBench.check(last[0].equals(last[1]), "B7: the ripgrep and the byte search results differ for " + kind);
        int ourMatches = last[0].matches().size();
        List<String> rg = new ArrayList<>(List.of("rg", "--no-config", "-n"));
        rg.add(regex ? "-e" : "-F");
        rg.add(pattern);
        rg.add(".");
        List<String> grep = List.of("grep", "-rn", regex ? "-E" : "-F", pattern, ".");
        for (List<String> peerArgv : List.of(rg, grep)) {
          long[] lines = new long[1];
          Stats peer = m.run(i -> lines[0] = Processes.run(tree.root(), Map.of(), false, peerArgv, 0, 1).stdoutLines());
          CheckpointBench.check(lines[0] == ourMatches,
              "B7: " + peerArgv.get(0) + " found " + lines[0] + " matching lines, we found " + ourMatches);
          boolean isRg = peerArgv.get(0).equals("rg");
          Map<String, Object> sizes = CheckpointBench.sizes(tree);
          sizes.put("matches", ourMatches);
          Map<String, Object> extra = new LinkedHashMap<>();
          extra.put("pattern", pattern);
          Result r = Result.timed("B7", "B7 " + kind + " vs " + peerArgv.get(0), Optional.empty(),
              "LocalSandbox.search (" + kind + ", default: ripgrep)", ours, String.join(" ", peerArgv), peer, 0, "",
              sizes, extra);
          results.add(isRg
              ? CheckpointBench.withTarget(r, "ratio >= 0.8 (ours <= 1.25x rg)", r.ratio() >= 0.8)
              : CheckpointBench.withTarget(r, "ratio >= 2 (twice grep's speed)", r.ratio() >= 2.0));
          if (isRg) {
            Result f = Result.timed("B7", "B7 " + kind + " fallback vs rg", Optional.empty(),
                "LocalSandbox.search (" + kind + ", in-process byte search)", ourFallback, String.join(" ", peerArgv),
                peer, 0, "", sizes, extra);
            results.add(CheckpointBench.withTarget(f, "ratio >= 0.33 (ours <= 3x rg)", f.ratio() >= 1.0 / 3.0));
          }
        }
      }
    }
    Workspace.deleteTree(base);
    return results;
  }
}
