package io.chatbuilder.bench;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.runtime.vite.ViteTemplates;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * B11: what isolation costs on the two heavy processes of draft mode, measured in the same run on
 * the same machine, each side from a warm npm cache: {@code npm ci} of the vite-vanilla template through
 * {@code LocalSandbox.run}, and a Vite dev server start to its first HTTP 200 through
 * {@code ViteDraftRuntime} (dependencies installed). "ours" runs inside bubblewrap (the default),
 * the "peer" in a sandbox the host opted out of isolation; {@code ratio = unisolated / isolated}, so
 * below 1 is the price of isolation.
 */
final class IsolationBench {
  static final String NPM_CI = "npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --no-update-notifier";

  private final BenchConfig config;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  IsolationBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    Path base = config.workDir().resolve("b10");
    Workspace.deleteTree(base);
    List<Result> results = new ArrayList<>();
    try (LocalSandboxProvider isolated = LocalSandboxProvider.create(base.resolve("isolated"), b -> sandbox(b, true));
        LocalSandboxProvider unisolated = LocalSandboxProvider.create(base.resolve("unisolated"), b -> sandbox(b, false))) {
      for (LocalSandboxProvider p : List.of(isolated, unisolated)) {
        writeTemplate(p.open("app").root());
      }
      CheckpointBench.check(isolated.open("app").isolated() && !unisolated.open("app").isolated(),
          "B11: the isolated sandbox must run in bubblewrap and the other one not");
      // each sandbox has its own npm cache (in its private home): fill both from the registry first,
      // so every measured install comes from a warm cache
      npmCi(isolated.open("app"));
      npmCi(unisolated.open("app"));

      Measure m = config.slowMeasure();
      Stats oursCi = m.run(i -> npmCi(isolated.open("app")));
      Stats peerCi = m.run(i -> npmCi(unisolated.open("app")));
      Map<String, Object> sizes = new LinkedHashMap<>();
      sizes.put("template", ViteTemplates.VANILLA);
      sizes.put("packages", packages(isolated.open("app").root()));
      results.add(CheckpointBench.withTarget(Result.timed("B11", "B11 npm ci isolated vs unisolated", Optional.empty(),
              "LocalSandbox.run(" + NPM_CI + "), bubblewrap", oursCi, NPM_CI + ", unisolated", peerCi, 0, "", sizes,
              Map.of("cache", "warm, the sandbox's own")),
          "ratio >= 0.5 (isolation at most doubles it)", peerCi.medianMs() / oursCi.medianMs() >= 0.5));

      try (ViteDraftRuntime oursDrafts = ViteDraftRuntime.builder(isolated).build();
          ViteDraftRuntime peerDrafts = ViteDraftRuntime.builder(unisolated).build()) {
        // the first start installs (npm ci again); the measured ones only start the server
        startToFirst200(oursDrafts);
        startToFirst200(peerDrafts);
        Stats oursStart = m.run(i -> oursDrafts.stop("app"), i -> startToFirst200(oursDrafts));
        Stats peerStart = m.run(i -> peerDrafts.stop("app"), i -> startToFirst200(peerDrafts));
        Map<String, Object> startSizes = new LinkedHashMap<>(sizes);
        results.add(CheckpointBench.withTarget(Result.timed("B11", "B11 vite start isolated vs unisolated", Optional.empty(),
                "ViteDraftRuntime.start to first HTTP 200, bubblewrap", oursStart, "the same, unisolated", peerStart, 0, "",
                startSizes, Map.of("preview", "through the sandbox's endpoint")),
            "ratio >= 0.5 (isolation at most doubles it)", peerStart.medianMs() / oursStart.medianMs() >= 0.5));
      }
    }
    Workspace.deleteTree(base);
    return results;
  }

  private static LocalSandbox.Builder sandbox(LocalSandbox.Builder b, boolean isolated) {
    return isolated ? b : b.unisolated();
  }

  private static void npmCi(LocalSandbox sandbox) {
    CommandResult r = sandbox.run(new CommandRequest(List.of(NPM_CI.split(" ")), "", Map.of(), Optional.of(Duration.ofMinutes(10))),
        CommandListener.NONE, new Cancellation());
    CheckpointBench.check(r.succeeded(), "B11: npm ci failed (" + r.exitCode() + "): " + r.stdout() + r.stderr());
  }

  private void startToFirst200(ViteDraftRuntime drafts) {
    DraftStatus status = drafts.start("app", StatusListener.NONE);
    CheckpointBench.check(status.state() == DraftState.RUNNING, "B11: the dev server did not start: " + status);
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(status.previewUrl().orElseThrow()))
          .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.discarding());
      CheckpointBench.check(r.statusCode() == 200, "B11: the preview answered " + r.statusCode());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void writeTemplate(Path root) {
    Consumer<Map.Entry<String, byte[]>> write = e -> {
      try {
        Path target = root.resolve(e.getKey());
        Files.createDirectories(target.getParent());
        Files.write(target, e.getValue());
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    };
    ViteTemplates.vanilla().files().entrySet().forEach(write);
  }

  private static long packages(Path root) {
    try (var dirs = Files.list(root.resolve("node_modules"))) {
      return dirs.count();
    } catch (IOException e) {
      return -1;
    }
  }
}
