package io.chatbuilder.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs one tiny iteration of the whole suite, so the benchmarks cannot rot: every scenario must
 * produce results with positive times through the real product path and the real peers. Asserts
 * nothing about speed.
 */
class BenchSmokeTest {
  private static final boolean CI = "true".equals(System.getenv("CI"));

  @Test
  void smokeIterationReportsEveryScenarioWithPositiveTimes(@TempDir Path dir) throws Exception {
    for (String program : List.of("git", "rg", "bwrap", "node", "npm")) {
      if (Processes.version(program).isEmpty()) {
        String why = program + " is not installed (bench/run.sh and .ci/run install git and rg; B11 needs bubblewrap, "
            + "Node and npm)";
        if (CI) {
          Assertions.fail(why);
        }
        Assumptions.abort(why);
      }
    }
    Path out = dir.resolve("results.json");
    BenchConfig config = BenchConfig.parse("--smoke", "--work", dir.resolve("work").toString(), "--out", out.toString());
    boolean postgres = StoreSession.postgresReachable();
    if (!postgres && CI) {
      Assertions.fail("PostgreSQL is unreachable on 127.0.0.1:5432; CI must benchmark it");
    }
    boolean mariadb = StoreSession.mariadbReachable();
    if (!mariadb && CI) {
      Assertions.fail("MariaDB is unreachable on 127.0.0.1:3306; CI must benchmark it");
    }

    BenchMain.run(config, List.of("--smoke"));

    JsonNode root = new ObjectMapper().readTree(out.toFile());
    assertThat(root.path("machine").path("cores").asInt()).isPositive();
    Set<String> ids = new HashSet<>();
    Map<String, Set<String>> storesById = new HashMap<>();
    for (JsonNode r : root.path("results")) {
      String id = r.path("id").asText();
      ids.add(id);
      assertThat(r.path("ours_ms").asDouble()).as(r.path("name").asText() + " ours_ms").isPositive();
      assertThat(r.path("peer_ms").asDouble()).as(r.path("name").asText() + " peer_ms").isPositive();
      assertThat(r.path("ratio").asDouble()).as(r.path("name").asText() + " ratio").isPositive();
      assertThat(r.path("peer").asText()).isNotBlank();
      assertThat(r.path("sizes").size()).as(r.path("name").asText() + " sizes").isPositive();
      if (r.has("store")) {
        storesById.computeIfAbsent(id, k -> new HashSet<>()).add(r.path("store").asText());
      }
    }
    Set<String> expectedIds = new HashSet<>(BenchConfig.ALL_SCENARIOS);
    if (!postgres) {
      expectedIds.remove("B15"); // the event log on PostgreSQL is what B15 measures
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(expectedIds);
    Set<String> expectedStores = new HashSet<>(Set.of("memory", "h2", "git"));
    if (postgres) {
      expectedStores.add("postgresql");
    }
    if (mariadb) {
      expectedStores.add("mariadb");
    }
    for (String id : List.of("B1", "B3", "B5", "B6")) {
      assertThat(storesById.get(id)).as(id + " stores").containsAll(expectedStores);
    }
  }
}
