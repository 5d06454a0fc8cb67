package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.SearchQuery;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in measurement (asserts nothing about speed): where a search of 3,000 files spends its time
 * (the confined stat walk, the confined reads, the whole search per engine), same tree, same run.
 * Run with {@code ./mvnw -B -o -q verify -pl sandbox-local -Dtest=SearchCostMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false -Dchatbuilder.measure=true}.
 */
@EnabledIfSystemProperty(named = "chatbuilder.measure", matches = "true")
class SearchCostMeasurement {
  @Test
  void whereTheTimeGoes(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("app");
    for (int i = 0; i < 3_000; i++) {
      Path f = root.resolve("src/d" + (i % 60) + "/f" + i + ".js");
      Files.createDirectories(f.getParent());
      Files.writeString(f, ("const x" + i + " = useState(initial ?? " + (i % 1000) + ");\n").repeat(80)
          + (i % 40 == 0 ? "// FIXME(perf)\n" : ""), StandardCharsets.UTF_8);
    }
    SearchQuery literal = new SearchQuery("FIXME(perf)", false, false, List.of(), 1_000_000, 0, Duration.ofSeconds(60));
    SearchQuery regex = new SearchQuery("useState\\(initial \\?\\? 9[0-9]{2}\\)", true, false, List.of(), 1_000_000, 0,
        Duration.ofSeconds(60));
    Thread.sleep(2_500); // past the racy window: the ripgrep search trusts its text marks from its second search on
    for (SearchEngine engine : SearchEngine.values()) {
      try (LocalSandbox s = LocalSandbox.builder(root).searchEngine(engine).unisolated().build()) {
        for (int round = 0; round < 5; round++) {
          long t0 = System.nanoTime();
          int n = s.search(regex).matches().size();
          System.out.printf(Locale.ROOT, "%s regex round %d: search %.1f ms (%d matches)%n", engine, round,
              (System.nanoTime() - t0) / 1e6, n);
        }
        ConfinedFiles files = new ConfinedFiles(root, io.chatbuilder.core.sandbox.Exclusions.defaults(), 8 << 20,
            ConfinedFiles.RaceHook.NONE, "m");
        for (int round = 0; round < 5; round++) {
          long t0 = System.nanoTime();
          Map<String, FileStat> all = files.statAll();
          long t1 = System.nanoTime();
          for (String p : all.keySet()) {
            files.read(p, false);
          }
          long t2 = System.nanoTime();
          int n = s.search(literal).matches().size();
          long t3 = System.nanoTime();
          System.out.printf(Locale.ROOT, "%s round %d: statAll %.1f ms, sequential reads %.1f ms, search %.1f ms (%d matches)%n",
              engine, round, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, n);
        }
      }
    }
  }
}
