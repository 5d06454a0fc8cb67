package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The runtime's side of preview diagnostics: the lines come from the sandbox, where the app's own
 * code runs, so everything on them is hostile input that must stay bounded and path-safe.
 */
class PreviewDiagnosticsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final PreviewDiagnostics diagnostics = new PreviewDiagnostics(10, 32 * 1024,
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));

  private static String line(String kind, String message, String file, int line, long count) {
    ObjectNode o = JSON.createObjectNode().put("kind", kind).put("message", message).put("count", count);
    if (file != null) {
      o.put("file", file).put("line", line).put("column", 3);
    }
    return PreviewDiagnostics.PREFIX + o;
  }

  @Test
  void identicalReportsAddUpTheirCountsInOneEntry() {
    for (int i = 0; i < 10; i++) {
      diagnostics.accept("app", line("console_error", "same", "src/App.jsx", 4, 100));
    }
    List<PreviewDiagnostic> all = diagnostics.list("app");
    assertThat(all).hasSize(1);
    assertThat(all.get(0).count()).isEqualTo(1000);
    assertThat(all.get(0).location()).isEqualTo("src/App.jsx:4:3");
    assertThat(all.get(0).kind()).isEqualTo(PreviewDiagnostic.Kind.CONSOLE_ERROR);
    diagnostics.accept("app", line("console_error", "same", "src/App.jsx", 5, 1)); // another place: another entry
    assertThat(diagnostics.list("app")).hasSize(2);
    assertThat(diagnostics.list("other")).isEmpty();
  }

  @Test
  void aFloodOfDistinctOrHugeReportsStaysWithinEntriesAndBytes() {
    for (int i = 0; i < 100_000; i++) {
      diagnostics.accept("app", line("uncaught_error", "error " + i + " " + "x".repeat(i % 5000), "src/a.js", 1, 1));
    }
    List<PreviewDiagnostic> all = diagnostics.list("app");
    assertThat(all.size()).isLessThanOrEqualTo(10);
    assertThat(diagnostics.bytes("app")).isLessThanOrEqualTo(32 * 1024);
    assertThat(all.get(all.size() - 1).message()).startsWith("error 99999 ");
    assertThat(all).allMatch(d -> d.message().length() <= PreviewDiagnostics.MAX_MESSAGE_CHARS);
    // a line longer than the cap is dropped whole
    diagnostics.clear("app");
    diagnostics.accept("app", line("uncaught_error", "y".repeat(PreviewDiagnostics.MAX_LINE_CHARS), null, 0, 1));
    assertThat(diagnostics.list("app")).isEmpty();
  }

  @Test
  void countsSaturateAndBadCountsCountOnce() {
    diagnostics.accept("app", line("console_error", "big", null, 0, Long.MAX_VALUE));
    diagnostics.accept("app", line("console_error", "big", null, 0, Long.MAX_VALUE));
    assertThat(diagnostics.list("app").get(0).count()).isEqualTo(2_000_000_000L); // each capped at 1e9
    diagnostics.accept("app", PreviewDiagnostics.PREFIX + "{\"kind\":\"console_error\",\"message\":\"neg\",\"count\":-5}");
    diagnostics.accept("app", PreviewDiagnostics.PREFIX + "{\"kind\":\"console_error\",\"message\":\"neg\",\"count\":\"x\"}");
    assertThat(diagnostics.list("app")).filteredOn(d -> d.message().equals("neg")).singleElement()
        .satisfies(d -> assertThat(d.count()).isEqualTo(2));
  }

  @Test
  void pathsThatAreNotPlainAppRelativeOnesAreDroppedAndHostPathsStripped() {
    for (String bad : List.of("/etc/passwd", "../secret.js", "src/../../x.js", "C:\\x.js", "src//a.js", "./src/a.js",
        "src/a\u202Eb.js", "file:///tmp/a.js", "src/a.js\nx")) {
      diagnostics.accept("app", line("uncaught_error", "bad path " + bad, bad, 3, 1));
    }
    assertThat(diagnostics.list("app")).hasSize(9).allSatisfy(d -> {
      assertThat(d.file()).isEmpty();
      assertThat(d.line()).isEmpty();
      assertThat(d.location()).isEmpty();
    });
    diagnostics.clear("app");
    diagnostics.accept("app", PreviewDiagnostics.PREFIX + JSON.createObjectNode().put("kind", "uncaught_error")
        .put("message", "at /home/someone/apps/shop/node_modules/react-dom/cjs/x.js:1:2\u0007\u202E")
        .put("stack", "at file:///srv/apps/shop/node_modules/react/index.js:3:4"));
    PreviewDiagnostic d = diagnostics.list("app").get(0);
    assertThat(d.message()).isEqualTo("at node_modules/react-dom/cjs/x.js:1:2");
    assertThat(d.stack()).contains("at node_modules/react/index.js:3:4");
  }

  @Test
  void malformedLinesAndUnknownKindsAreIgnored() {
    for (String bad : List.of("", "@@chatbuilder-diagnostic ", "@@chatbuilder-diagnostic {", "@@chatbuilder-diagnostic []",
        "@@chatbuilder-diagnostic \"x\"", "@@chatbuilder-diagnostic {\"kind\":\"nope\",\"message\":\"m\"}",
        "@@chatbuilder-diagnostic {\"kind\":5}", "VITE ready", "@@chatbuilder-diagnostic {\"type\":\"changed\",\"file\":5}")) {
      diagnostics.accept("app", bad);
    }
    assertThat(diagnostics.list("app")).isEmpty();
    diagnostics.accept("app", PreviewDiagnostics.PREFIX + "{\"kind\":\"unhandled_rejection\",\"message\":\"  \",\"line\":7}");
    assertThat(diagnostics.list("app")).singleElement().satisfies(d -> {
      assertThat(d.message()).isEqualTo("(no message)");
      assertThat(d.line()).isEmpty(); // a line without a file means nothing
    });
  }

  @Test
  void aChangedFileForgetsItsCompileErrorsOnly() {
    diagnostics.accept("app", line("compile_error", "Unexpected token", "src/App.jsx", 5, 1));
    diagnostics.accept("app", line("compile_error", "Unexpected token", "src/Other.jsx", 2, 1));
    diagnostics.accept("app", line("uncaught_error", "boom", "src/App.jsx", 9, 1));
    diagnostics.accept("app", PreviewDiagnostics.PREFIX + "{\"type\":\"changed\",\"file\":\"src/App.jsx\"}");
    assertThat(diagnostics.list("app")).extracting(PreviewDiagnostic::location)
        .containsExactly("src/Other.jsx:2:3", "src/App.jsx:9:3");
  }

  @Test
  void listenersGetNewEntriesAndUpdatesBoundedPerSecondAndCanUnsubscribe() {
    List<PreviewDiagnostic> seen = new CopyOnWriteArrayList<>();
    var subscription = diagnostics.subscribe((app, d) -> seen.add(d));
    diagnostics.subscribe((app, d) -> {
      throw new IllegalStateException("a broken listener changes nothing");
    });
    diagnostics.accept("app", line("console_error", "a", null, 0, 1));
    diagnostics.accept("app", line("console_error", "a", null, 0, 2));
    assertThat(seen).extracting(PreviewDiagnostic::count).containsExactly(1L, 3L);
    for (int i = 0; i < 1000; i++) {
      diagnostics.accept("app", line("console_error", "flood " + i, null, 0, 1)); // one second of the fixed clock
    }
    assertThat(seen).hasSize(PreviewDiagnostics.MAX_NOTIFICATIONS_PER_SECOND);
    subscription.close();
    diagnostics.accept("app2", line("console_error", "after", null, 0, 1));
    assertThat(seen).noneMatch(d -> d.message().equals("after"));
  }
}
