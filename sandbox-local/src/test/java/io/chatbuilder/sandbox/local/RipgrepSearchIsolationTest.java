package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ripgrep in an isolated sandbox runs inside bubblewrap's read-only profile: it answers there with
 * the reference's results, and a file swapped for a symlink out of the root between the tracker's
 * stat and rg's open (a command racing the search) shows nothing of the link's target.
 */
class RipgrepSearchIsolationTest {
  private static final long AHEAD = SearchEnginesAgreeTest.AHEAD_NANOS;

  @TempDir Path dir;
  Path root;
  Path outside;
  ExecutorService pool;

  @BeforeEach
  void setUp() throws Exception {
    RipgrepSupport.require();
    root = Files.createDirectories(dir.resolve("app"));
    outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "needle: the host's secret\n");
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  @Test
  void anIsolatedSandboxSearchesWithRipgrepInsideBubblewrap() throws Exception {
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/a.js"), "const needle = 1;\nneedle();\n");
    Files.writeString(root.resolve("src/b.txt"), "no match here\n");
    Files.write(root.resolve("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 'n', 'e', 'e', 'd', 'l', 'e'});
    SearchQuery query = SearchQuery.literal("needle");
    SearchResult expected;
    try (LocalSandbox reference = LocalSandbox.builder(root).searchEngine(SearchEngine.SEQUENTIAL).unisolated().build()) {
      expected = reference.search(query);
    }
    assertThat(expected.matches()).hasSize(2);
    try (LocalSandbox sandbox = LocalSandbox.builder(root).searchEngine(SearchEngine.RIPGREP)
        .searchClockNanos(() -> System.currentTimeMillis() * 1_000_000L + AHEAD).build()) {
      BwrapSupport.requireIsolated(sandbox);
      assertThat(sandbox.search(query)).isEqualTo(expected);
      long answered = sandbox.ripgrepSearches();
      assertThat(sandbox.search(query)).isEqualTo(expected);
      assertThat(sandbox.ripgrepSearches()).as("rg answered inside bubblewrap").isEqualTo(answered + 1);
    }
  }

  @Test
  void aFileSwappedForASymlinkOutOfTheRootShowsNothingOfItsTargetInsideBubblewrap() throws Exception {
    Bubblewrap bwrap;
    try (LocalSandbox probe = LocalSandbox.builder(root).build()) {
      BwrapSupport.requireIsolated(probe);
      bwrap = new Bubblewrap(Bubblewrap.find(System.getenv("PATH")).orElseThrow(), List.of());
    }
    Bubblewrap isolated = bwrap;
    // Unisolated, rg follows the swapped-in link: the race the profile is there for is real.
    assertThat(raceSearch(argv -> argv).matches()).extracting(SearchResult.Match::text)
        .contains("needle: the host's secret");
    Files.delete(root.resolve("x.txt"));
    assertThat(raceSearch(argv -> isolated.readOnlyCommand(root, argv)).matches()).extracting(SearchResult.Match::text)
        .doesNotContain("needle: the host's secret").isEmpty();
  }

  @Test
  void filesSplitOverSeveralRgRunsGiveTheReferencesResult() throws Exception {
    for (int i = 0; i < 300; i++) {
      Path f = root.resolve("src/dir" + (i % 7) + "/file-" + i + ".txt");
      Files.createDirectories(f.getParent());
      Files.writeString(f, (i % 3 == 0 ? "a needle " + i + "\n" : "nothing\n") + "needle again\n".repeat(i % 2));
    }
    SearchQuery query = new SearchQuery("needle", false, false, List.of(), 1000, 0, Duration.ofSeconds(20));
    SearchResult expected;
    try (LocalSandbox reference = LocalSandbox.builder(root).searchEngine(SearchEngine.SEQUENTIAL).unisolated().build()) {
      expected = reference.search(query);
    }
    ConfinedFiles files = new ConfinedFiles(root, Exclusions.defaults(), 1 << 20, ConfinedFiles.RaceHook.NONE, "t");
    SortedMap<String, FileStat> stats = files.statAll();
    // About 1,000 argument bytes per run: 300 paths take a few dozen runs, the extra ones on the pool.
    RipgrepSearch search = new RipgrepSearch(RipgrepSearch.find().orElseThrow(), root, argv -> argv,
        () -> System.currentTimeMillis() * 1_000_000L + AHEAD, 1_000);
    assertThat(search.search(query, 1 << 20, stats, p -> files.read(p, false), pool)).contains(expected);
    assertThat(search.search(query, 1 << 20, stats, p -> files.read(p, false), pool)).as("now by rg").contains(expected);
    assertThat(search.failed()).isFalse();
    assertThat(expected.matches()).hasSize(250);
  }

  @Test
  void aFileSwappedForAFifoMidSearchStopsAtTheTimeLimitInsteadOfHanging() throws Exception {
    Files.writeString(root.resolve("x.txt"), "a needle\n");
    ConfinedFiles files = new ConfinedFiles(root, Exclusions.defaults(), 1 << 20, ConfinedFiles.RaceHook.NONE, "t");
    SortedMap<String, FileStat> before = files.statAll();
    RipgrepSearch search = new RipgrepSearch(RipgrepSearch.find().orElseThrow(), root, argv -> argv,
        () -> System.currentTimeMillis() * 1_000_000L + AHEAD);
    SearchQuery query = new SearchQuery("needle", false, false, List.of(), 100, 0, Duration.ofMillis(1500));
    assertThat(search.search(query, 1 << 20, before, p -> files.read(p, false), pool).orElseThrow().matches()).hasSize(1);
    Files.delete(root.resolve("x.txt"));
    Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("x.txt").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    long start = System.nanoTime();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> search.search(query, 1 << 20, before, p -> files.read(p, false), pool))
        .isInstanceOf(io.chatbuilder.core.TimeoutException.class).hasMessageContaining("search stopped");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    assertThat(search.failed()).as("a timeout is the query's, not rg's").isFalse();
  }

  /**
   * Makes x.txt's text mark, then swaps x.txt for a symlink to the outside secret and searches with
   * the stats from before the swap, as a search that listed the files just before a command's swap.
   */
  private SearchResult raceSearch(Function<List<String>, List<String>> wrap) throws Exception {
    Files.writeString(root.resolve("x.txt"), "a needle inside the app\n");
    ConfinedFiles files = new ConfinedFiles(root, Exclusions.defaults(), 1 << 20, ConfinedFiles.RaceHook.NONE, "t");
    SortedMap<String, FileStat> before = files.statAll();
    RipgrepSearch search = new RipgrepSearch(RipgrepSearch.find().orElseThrow(), root, wrap,
        () -> System.currentTimeMillis() * 1_000_000L + AHEAD);
    SearchQuery query = new SearchQuery("needle", false, false, List.of(), 100, 0, Duration.ofSeconds(10));
    Optional<SearchResult> first = search.search(query, 1 << 20, before, p -> files.read(p, false), pool);
    assertThat(first.orElseThrow().matches()).extracting(SearchResult.Match::text).containsExactly("a needle inside the app");
    Files.delete(root.resolve("x.txt"));
    Files.createSymbolicLink(root.resolve("x.txt"), outside.resolve("secret.txt"));
    long answered = search.answered();
    SearchResult raced = search.search(query, 1 << 20, before, p -> files.read(p, false), pool).orElseThrow();
    assertThat(search.answered()).isEqualTo(answered + 1);
    return raced;
  }
}
