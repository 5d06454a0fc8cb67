package io.chatbuilder.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a benchmark run measures: scenarios, stores, sizes, repetitions and where files go. The full
 * suite uses the sizes; {@code --smoke} shrinks everything to one tiny iteration.
 */
record BenchConfig(
    Set<String> scenarios,
    List<StoreKind> stores,
    List<Integer> checkpointSizes,
    int mediumFiles,
    List<Integer> historySizes,
    int storageCheckpoints,
    int searchFiles,
    int remoteOperations,
    int agentToolCalls,
    int eventDeltas,
    int warmups,
    int repetitions,
    int slowWarmups,
    int slowRepetitions,
    boolean smoke,
    boolean requirePostgres,
    Path workDir,
    Path out) {

  static final List<String> ALL_SCENARIOS = List.of("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12", "B13", "B14", "B15");

  static final String USAGE = """
      usage: BenchMain [--smoke] [--scenarios B1,B2,...,B15] [--stores memory,h2,postgresql,git]
                       [--sizes 1000,10000,50000] [--histories 1000,10000]
                       [--repetitions N] [--warmups N]
                       [--work DIR] [--out FILE] [--require-postgres]
        --smoke             one tiny iteration of everything (what CI runs)
        --require-postgres  fail instead of skipping PostgreSQL when it is unreachable
      """;

  static BenchConfig parse(String... args) {
    boolean smoke = false;
    boolean requirePostgres = false;
    Set<String> scenarios = new LinkedHashSet<>(ALL_SCENARIOS);
    List<StoreKind> stores = List.of(StoreKind.values());
    List<Integer> sizes = null;
    List<Integer> histories = null;
    Integer reps = null;
    Integer warmups = null;
    Path work = null;
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--smoke" -> smoke = true;
        case "--require-postgres" -> requirePostgres = true;
        case "--scenarios" -> {
          scenarios = new LinkedHashSet<>();
          for (String s : value(args, ++i, a).split(",")) {
            String id = s.strip().toUpperCase(java.util.Locale.ROOT);
            if (!ALL_SCENARIOS.contains(id)) {
              throw new IllegalArgumentException("unknown scenario '" + s + "': use " + ALL_SCENARIOS);
            }
            scenarios.add(id);
          }
        }
        case "--stores" -> {
          List<StoreKind> list = new ArrayList<>();
          for (String s : value(args, ++i, a).split(",")) {
            list.add(StoreKind.parse(s.strip()));
          }
          stores = List.copyOf(list);
        }
        case "--sizes" -> sizes = Arrays.stream(value(args, ++i, a).split(",")).map(s -> Integer.parseInt(s.strip())).toList();
        case "--histories" -> histories = Arrays.stream(value(args, ++i, a).split(",")).map(h -> Integer.parseInt(h.strip())).toList();
        case "--repetitions" -> reps = Integer.parseInt(value(args, ++i, a));
        case "--warmups" -> warmups = Integer.parseInt(value(args, ++i, a));
        case "--work" -> work = Path.of(value(args, ++i, a));
        case "--out" -> out = Path.of(value(args, ++i, a));
        case "-h", "--help" -> throw new IllegalArgumentException(USAGE);
        default -> throw new IllegalArgumentException("unknown argument '" + a + "'\n" + USAGE);
      }
    }
    Path target = Path.of("bench", "pom.xml").toFile().isFile() ? Path.of("bench", "target") : Path.of("target");
    if (work == null) {
      work = target.resolve(smoke ? "bench-smoke-work" : "bench-work");
    }
    if (out == null) {
      out = target.resolve(smoke ? "smoke-results.json" : "results.json");
    }
    work = work.toAbsolutePath().normalize();
    if (smoke) {
      return new BenchConfig(scenarios, stores, sizes != null ? sizes : List.of(40), 40, histories != null ? histories : List.of(5, 12), 5, 40, 20, 20, 200,
          warmups != null ? warmups : 0, reps != null ? reps : 1, 0, 1, true, requirePostgres, work, out);
    }
    return new BenchConfig(scenarios, stores, sizes != null ? sizes : List.of(1_000, 10_000, 50_000), 10_000,
        histories != null ? histories : List.of(1_000, 10_000), 100, 3_000, 1_000, 1_000, 2_000,
        warmups != null ? warmups : 2, reps != null ? reps : 9, 1, reps != null ? Math.max(1, reps / 2) : 5,
        false, requirePostgres, work, out);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
    }
    return args[i];
  }

  Measure measure() {
    return new Measure(warmups, repetitions);
  }

  /** For cases where one iteration is long (1,000 operations, 50,000 files). */
  Measure slowMeasure() {
    return new Measure(slowWarmups, slowRepetitions);
  }

  boolean runs(String scenario) {
    return scenarios.contains(scenario);
  }
}
