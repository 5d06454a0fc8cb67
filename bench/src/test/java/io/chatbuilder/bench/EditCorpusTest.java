package io.chatbuilder.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.bench.EditCorpus.Case;
import io.chatbuilder.bench.EditCorpus.Style;
import io.chatbuilder.bench.EditCorpusRun.Outcome;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The edit corpus of issue 15 through the real tools: the success rate of each tool set is what the
 * corpus run gives (the figures below are its result, also printed by bench row B10), every success
 * yields exactly the intended files, and every failure is one the model can act on. No timing.
 */
class EditCorpusTest {
  private static List<Case> cases;
  private static Map<Style, List<EditCorpusRun.Result>> results;

  @BeforeAll
  static void runCorpus() {
    cases = EditCorpus.generate();
    results = new TreeMap<>();
    for (Style style : Style.values()) {
      results.put(style, EditBench.runAll(cases, style));
    }
  }

  private static Map<Outcome, Long> tally(Style style) {
    return results.get(style).stream().collect(Collectors.groupingBy(EditCorpusRun.Result::outcome, TreeMap::new,
        Collectors.counting()));
  }

  private static Map<String, String> byCategory(Style style) {
    Map<String, int[]> n = new TreeMap<>();
    for (EditCorpusRun.Result r : results.get(style)) {
      int[] c = n.computeIfAbsent(r.c().category(), k -> new int[2]);
      c[1]++;
      c[0] += r.outcome() == Outcome.SUCCESS ? 1 : 0;
    }
    Map<String, String> out = new TreeMap<>();
    n.forEach((k, c) -> out.put(k, c[0] + "/" + c[1]));
    return out;
  }

  @Test
  void theCorpusHasOverTwoHundredCasesOfEveryCategoryOverTemplatesAndGeneratedFiles() {
    assertThat(cases).hasSize(270);
    assertThat(cases.stream().map(Case::id).distinct()).hasSize(cases.size());
    assertThat(cases.stream().map(Case::category).distinct()).containsExactlyInAnyOrder("modify", "insert", "delete",
        "replace-block", "append-eof", "multi-hunk", "rename-symbol", "trailing-whitespace", "indentation", "crlf",
        "unicode", "ambiguous-careful", "ambiguous-minimal", "stale", "large-file", "file-rename", "file-delete",
        "file-add");
    assertThat(cases).filteredOn(c -> c.before().keySet().stream().anyMatch(p -> p.startsWith("vite-"))).hasSizeGreaterThan(10);
    assertThat(cases).filteredOn(c -> c.before().values().stream().flatMap(Optional::stream).anyMatch(t -> t.contains("\r\n")))
        .hasSize(20);
    for (Case c : cases) {
      assertThat(c.before()).as(c.id()).isNotEqualTo(c.after());
      for (Style s : Style.values()) {
        assertThat(c.calls().get(s)).as(c.id() + " " + s).isNotEmpty();
      }
    }
  }

  @Test
  void theCorpusIsTheSameOnEveryRun() {
    List<Case> again = EditCorpus.generate();
    assertThat(again).hasSameSizeAs(cases);
    for (int i = 0; i < cases.size(); i++) {
      assertThat(again.get(i).after()).isEqualTo(cases.get(i).after());
      assertThat(again.get(i).calls().toString()).isEqualTo(cases.get(i).calls().toString());
    }
  }

  @Test
  void successRatesPerToolAreWhatTheCorpusRunGives() {
    assertThat(tally(Style.EDIT_FILE)).isEqualTo(Map.of(Outcome.SUCCESS, 250L, Outcome.FAILED, 20L));
    assertThat(tally(Style.APPLY_PATCH)).isEqualTo(Map.of(Outcome.SUCCESS, 254L, Outcome.FAILED, 16L));
    // write_file never fails, but it turns a CRLF file into LF: those 20 results differ from the intended files.
    assertThat(tally(Style.WRITE_FILE)).isEqualTo(Map.of(Outcome.SUCCESS, 250L, Outcome.WRONG_RESULT, 20L));
    assertThat(results.get(Style.WRITE_FILE)).filteredOn(r -> r.outcome() == Outcome.WRONG_RESULT)
        .allSatisfy(r -> assertThat(r.c().category()).isEqualTo("crlf"));

    assertThat(byCategory(Style.EDIT_FILE)).containsEntry("ambiguous-careful", "12/12").containsEntry("ambiguous-minimal", "1/10")
        .containsEntry("stale", "0/6").containsEntry("trailing-whitespace", "15/20").containsEntry("indentation", "22/22")
        .containsEntry("unicode", "20/20").containsEntry("crlf", "20/20").containsEntry("multi-hunk", "28/28");
    assertThat(byCategory(Style.APPLY_PATCH)).containsEntry("ambiguous-careful", "12/12").containsEntry("ambiguous-minimal", "1/10")
        .containsEntry("stale", "0/6").containsEntry("trailing-whitespace", "19/20").containsEntry("indentation", "22/22")
        .containsEntry("unicode", "20/20").containsEntry("crlf", "20/20").containsEntry("multi-hunk", "28/28");
  }

  @Test
  void theFuzzyLevelsAreWhatMakeTheImperfectQuotesWork() {
    for (Style style : List.of(Style.EDIT_FILE, Style.APPLY_PATCH)) {
      Map<String, Map<String, Long>> levels = results.get(style).stream().filter(r -> r.outcome() == Outcome.SUCCESS)
          .collect(Collectors.groupingBy(r -> r.c().category(), Collectors.groupingBy(EditCorpusRun.Result::level,
              Collectors.counting())));
      assertThat(levels.get("unicode")).as(style + " unicode").isEqualTo(Map.of("unicode", 20L));
      assertThat(levels.get("indentation").get("indentation")).as(style + " indentation").isGreaterThanOrEqualTo(14);
      assertThat(levels.get("trailing-whitespace").get("trailing-whitespace")).as(style + " trailing").isGreaterThanOrEqualTo(14);
      assertThat(levels.get("modify")).as(style + " modify").isEqualTo(Map.of("exact", 30L));
    }
  }

  @Test
  void everySuccessYieldsExactlyTheIntendedFilesAndEveryFailureChangesNothing() {
    for (Style style : List.of(Style.EDIT_FILE, Style.APPLY_PATCH)) {
      for (EditCorpusRun.Result r : results.get(style)) {
        assertThat(r.outcome()).as(r.c().id() + " " + style + ": " + r.error()).isNotEqualTo(Outcome.WRONG_RESULT);
        if (r.outcome() == Outcome.FAILED) {
          assertThat(r.untouched()).as(r.c().id() + " " + style + " left the files as they were").isTrue();
        }
      }
    }
  }

  @Test
  void failuresAreTheOnesTheModelCanActOn() {
    for (Style style : List.of(Style.EDIT_FILE, Style.APPLY_PATCH)) {
      for (EditCorpusRun.Result r : results.get(style)) {
        if (r.outcome() != Outcome.FAILED) {
          continue;
        }
        switch (r.c().category()) {
          case "stale" -> assertThat(r.error()).as(r.c().id()).containsAnyOf("old_string was not found", "could not find")
              .contains("The most similar part of the file is");
          case "ambiguous-minimal", "trailing-whitespace" -> assertThat(r.error()).as(r.c().id())
              .containsPattern("matches \\d+ places")
              .containsAnyOf("Add more surrounding lines", "Add an '@@ <line>' anchor");
          default -> throw new AssertionError(r.c().id() + " " + style + " failed unexpectedly: " + r.error());
        }
      }
    }
  }

  @Test
  void patchesNeedFarFewerBytesThanWholeFiles() {
    long write = cases.stream().mapToLong(c -> c.bytes(Style.WRITE_FILE)).sum();
    long edit = cases.stream().mapToLong(c -> c.bytes(Style.EDIT_FILE)).sum();
    long patch = cases.stream().mapToLong(c -> c.bytes(Style.APPLY_PATCH)).sum();
    assertThat((double) write / edit).isGreaterThan(EditBench.MIN_BYTES_RATIO);
    assertThat((double) write / patch).isGreaterThan(EditBench.MIN_BYTES_RATIO);
  }
}
