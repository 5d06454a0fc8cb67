package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * check_app's decisions and its compact errors, on core's in-memory sandbox with scripted commands
 * (the real npm, Vite, tsc and bubblewrap run in runtime-vite's PreviewLoopTest).
 */
class CheckAppTest {
  private static final String ROOT = "/srv/apps/shop";
  private final List<List<String>> ran = new CopyOnWriteArrayList<>();

  private static CommandResult result(int code, String stdout, String stderr) {
    return new CommandResult(code, stdout, stderr, false, false, false, true, Duration.ofMillis(5));
  }

  /** A sandbox whose node and npm answer like the real ones would for an app with these files. */
  private ToolHarness app(String packageJson, boolean tsconfig, Function<List<String>, CommandResult> tools) {
    InMemorySandbox.Builder b = InMemorySandbox.builder("shop").file("package.json", packageJson);
    if (tsconfig) {
      b.file("tsconfig.json", "{ \"compilerOptions\": { \"strict\": true } /* comment */ }");
    }
    b.command("node", (request, sandbox, listener, cancellation) -> {
      ran.add(request.argv());
      List<String> argv = request.argv();
      if (argv.get(1).equals("-p")) {
        return result(0, ROOT + "\n", "");
      }
      if (argv.get(1).equals("-e")) {
        return result(0, "", ""); // typescript and vite are installed
      }
      return tools.apply(argv);
    });
    b.command("npm", (request, sandbox, listener, cancellation) -> {
      ran.add(request.argv());
      return tools.apply(request.argv());
    });
    return new ToolHarness(b.build(), List.of(CheckApp.create()));
  }

  @Test
  void typeScriptAppRunsTscThenItsBuildScriptAndReturnsRelativeDeduplicatedErrors() {
    ToolHarness h = app("{\"scripts\":{\"build\":\"vite build\"}}", true, argv -> {
      if (argv.contains("--noEmit")) {
        return result(2, "src/App.tsx(3,9): error TS2322: Type 'string' is not assignable to type 'number'.\n"
            + "src/App.tsx(3,9): error TS2322: Type 'string' is not assignable to type 'number'.\n", "");
      }
      return result(1, "", "error during build:\n[vite:esbuild] Transform failed with 1 error:\n"
          + ROOT + "/src/main.tsx:7:2: ERROR: Expected \";\" but found \"x\"\n    at failureErrorWithLog (" + ROOT
          + "/node_modules/esbuild/lib/main.js:1467:15)\n");
    });
    ToolResult r = h.call("check_app", "{}");
    assertThat(ran).contains(List.of("node", "node_modules/typescript/bin/tsc", "--noEmit"), List.of("npm", "run", "build"));
    assertThat(r.content()).isEqualTo("check failed (tsc --noEmit, npm run build): 2 errors\n"
        + "src/App.tsx:3:9 TS2322 Type 'string' is not assignable to type 'number'.\n"
        + "src/main.tsx:7:2 Expected \";\" but found \"x\"\n");
    assertThat(r.summary()).isEqualTo("2 errors");
    assertThat(r.rescan()).isTrue();
    // the same errors again in the same run: marked, and the model told not to repeat its fix
    ToolResult again = h.call("check_app", "{}");
    assertThat(again.summary()).isEqualTo("2 errors (same as the last check)");
    assertThat(again.content()).contains("same errors as your previous check_app");
    h.runId = "run-2";
    assertThat(h.call("check_app", "{}").summary()).isEqualTo("2 errors");
  }

  @Test
  void cleanAppPassesAndABuildScriptWithTscIsNotTypeCheckedTwice() {
    ToolHarness h = app("{\"scripts\":{\"build\":\"tsc -b && vite build\"}}", true, argv -> result(0, "built", ""));
    ToolResult r = h.call("check_app", "{}");
    assertThat(r.content()).isEqualTo("check passed: npm run build found no errors.\n");
    assertThat(r.summary()).isEqualTo("no errors");
    assertThat(ran).noneMatch(argv -> argv.contains("node_modules/typescript/bin/tsc"));  // not even probed
  }

  @Test
  void withoutABuildScriptItRunsViteBuildAndCapsManyErrors() {
    StringBuilder many = new StringBuilder();
    for (int i = 1; i <= 45; i++) {
      many.append("src/a.ts(").append(i).append(",1): error TS1005: ';' expected.\n");
    }
    ToolHarness h = app("{\"name\":\"x\"}", true, argv -> argv.contains("--noEmit") ? result(2, many.toString(), "")
        : result(0, "", ""));
    CheckApp.Check check = ((CheckApp) h.tool("check_app")).check(h.context());
    assertThat(check.commands()).containsExactly("tsc --noEmit", "vite build");
    assertThat(ran).contains(List.of("node", "node_modules/vite/bin/vite.js", "build"));
    assertThat(check.errors()).hasSize(CheckApp.MAX_ERRORS).first().isEqualTo("src/a.ts:1:1 TS1005 ';' expected.");
    assertThat(check.moreErrors()).isEqualTo(15);
    assertThat(check.report()).contains("45 errors").contains("… and 15 more");
  }

  @Test
  void aFailureWithoutLocatedErrorsReportsTheToolsLastLinesAndBadInputIsClear() {
    ToolHarness h = app("{\"scripts\":{\"build\":\"vite build\"}}", false,
        argv -> result(1, "", "error during build:\nCould not resolve entry module \"index.html\".\n    at x (" + ROOT + "/y.js:1:1)\n"));
    ToolResult r = h.call("check_app", "{}");
    assertThat(r.content()).contains("Could not resolve entry module \"index.html\".").doesNotContain(ROOT);
    ToolHarness notJson = app("{ nope", false, argv -> result(0, "", ""));
    assertThat(notJson.call("check_app", "{}").content()).contains("package.json:1:1 is not valid JSON");
    ToolHarness none = new ToolHarness(InMemorySandbox.builder("x").build(), List.of(CheckApp.create()));
    assertThatThrownBy(() -> none.call("check_app", "{}")).isInstanceOf(NotFoundException.class).hasMessageContaining("package.json");
  }

  @Test
  void parsesTheFormatsOfTscEsbuildAndBabel() {
    assertThat(CheckApp.errors("""
        src/App.tsx:12:5 - error TS2304: Cannot find name 'foo'.
        \u001B[31m✘ [ERROR]\u001B[0m src/x.ts:1:2: ERROR: Unexpected end of file
        [vite:react-babel] /srv/apps/shop/src/App.jsx: Unexpected token (5:15)
        error during build:
        [vite:react-babel] /srv/apps/shop/src/App.jsx: Unexpected token (5:15)
        """, ROOT)).containsExactly("src/App.tsx:12:5 TS2304 Cannot find name 'foo'.", "src/x.ts:1:2 Unexpected end of file",
        "src/App.jsx:5:16 Unexpected token");
    assertThat(CheckApp.errors("all good\n", ROOT)).isEmpty();
  }
}
