package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The dev server script given to {@code node -e}: what it loads, and that it stays one argument. */
class DevServerScriptTest {
  /** Linux's MAX_ARG_STRLEN: one argument of execve, with its terminating NUL, is at most 32 pages. */
  private static final int MAX_ARGUMENT = 32 * 4096 - 1;

  @Test
  void holdsTheDevServerAndThePluginsItRegisters() {
    String source = ViteDraftRuntime.DevServerScript.SOURCE;
    assertThat(source).contains("function chatbuilderDiagnostics(root)")
        .contains("function chatbuilderSourceTags(root)")
        .contains("function chatbuilderSelectMode()")
        .contains("function chatbuilderSelectModeClient()")
        .contains("plugins: [...(process.env.CHATBUILDER_DIAGNOSTICS === 'off' ? [] : [chatbuilderDiagnostics(root)]), "
            + "chatbuilderSourceTags(root), chatbuilderSelectMode(), ...(watching ? [watching.plugin] : [])]");
  }

  @Test
  void encodedScriptFitsInOneProcessArgument() {
    String eval = ViteDraftRuntime.DevServerScript.EVAL;
    assertThat(eval).startsWith("eval(decodeURIComponent(\"").endsWith("\"))").doesNotContain("..", ";", "'", " ");
    assertThat(eval.length()).as("percent-encoded script length").isLessThan(MAX_ARGUMENT);
  }
}
