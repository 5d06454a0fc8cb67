package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The runtime's own decisions, on core's in-memory sandbox (whose npm is a recording handler and
 * which cannot run services): what it runs, and that nothing in the app's files decides it.
 */
class ViteDraftRuntimeDecisionsTest {
  private final List<List<String>> npmCalls = new CopyOnWriteArrayList<>();

  private InMemorySandbox sandbox() {
    InMemorySandbox.Builder b = InMemorySandbox.builder("app");
    ViteTemplates.vanilla().files().forEach(b::file);
    return b.command("npm", (request, sandbox, listener, cancellation) -> {
      npmCalls.add(request.argv());
      return new CommandResult(0, "", "", false, false, false, true, Duration.ZERO);
    }).build();
  }

  @Test
  void installsWithoutScriptsRecordsTheInstallItselfAndFailsClosedWhereNoServiceCanRun() {
    Sandbox sandbox = sandbox();
    // (a forged marker planted by a command is ViteSandboxingTest's: this sandbox refuses writes into node_modules)
    List<String> statuses = new CopyOnWriteArrayList<>();
    try (ViteDraftRuntime drafts = ViteDraftRuntime.builder(appId -> sandbox).allowInstallScripts("hooked").build()) {
      DraftStatus status = drafts.start("app", statuses::add);

      assertThat(npmCalls).as("installed, then the allowlisted packages' scripts").hasSize(2);
      assertThat(npmCalls.get(0)).startsWith("npm", "ci").contains("--ignore-scripts");
      assertThat(npmCalls.get(1)).startsWith("npm", "rebuild", "--ignore-scripts=false").endsWith("hooked");
      assertThat(drafts.isInstalled("app", sandbox)).isTrue();
      // this sandbox cannot run services: the draft fails with its reason, nothing runs elsewhere
      assertThat(status.state()).isEqualTo(DraftState.FAILED);
      assertThat(status.error().orElseThrow()).contains("cannot run services");

      // the runtime's own record: a second start does not reinstall
      drafts.start("app", StatusListener.NONE);
      assertThat(npmCalls).hasSize(2);

      // a changed package.json does
      sandbox.write("package.json", "{\"devDependencies\":{\"vite\":\"7.3.8\"}}".getBytes(StandardCharsets.UTF_8));
      assertThat(drafts.isInstalled("app", sandbox)).isFalse();
      drafts.start("app", StatusListener.NONE);
      assertThat(npmCalls).hasSize(4);
    }
  }
}
