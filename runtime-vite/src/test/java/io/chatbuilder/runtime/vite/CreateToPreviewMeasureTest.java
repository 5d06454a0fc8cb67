package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures the time from "create app" to the first preview response, for two apps of each template,
 * inside bubblewrap sandboxes. Each app's sandbox has its own npm cache (see the README), so both
 * download their packages from the registry through the sandbox's egress proxy. Opt-in:
 * {@code mvn -pl runtime-vite verify -Dtest=CreateToPreviewMeasureTest -Dchatbuilder.measure=true};
 * figures go to {@code target/create-to-preview.txt}.
 */
@EnabledIfSystemProperty(named = "chatbuilder.measure", matches = "true")
class CreateToPreviewMeasureTest {
  @TempDir Path apps;

  @Test
  void createAppToFirstPreviewResponse() throws Exception {
    List<String> lines = new ArrayList<>();
    lines.add(String.format("%-13s %-6s %10s", "template", "app", "ms"));
    for (AppTemplate template : ViteTemplates.builtIn()) {
      Path base = Files.createDirectories(apps.resolve(template.id()));
      try (LocalSandboxProvider sandboxes = LocalSandboxProvider.create(base, SandboxSetup::configure);
          ChatBuilder builder = ChatBuilder.builder().model(ScriptedModel.builder().build()).sandboxes(sandboxes)
              .template(template)
              .draftRuntime(ViteDraftRuntime.builder(sandboxes).build())
              .build()) {
        for (String app : List.of("first", "second")) {
          long t0 = System.nanoTime();
          builder.createApp(app, template.id());
          DraftStatus status = builder.startDraft(app, StatusListener.NONE);
          ViteTestSupport.Response page = ViteTestSupport.get(status.previewUrl().orElseThrow());
          long ms = (System.nanoTime() - t0) / 1_000_000;
          assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
          assertThat(page.status()).isEqualTo(200);
          lines.add(String.format("%-13s %-6s %10d", template.id(), app, ms));
          builder.stopDraft(app);
        }
      }
    }
    lines.add("load average at the end: " + Files.readString(Path.of("/proc/loadavg")).strip());
    Files.write(Path.of("target", "create-to-preview.txt"), lines);
    lines.forEach(System.out::println);
  }
}
