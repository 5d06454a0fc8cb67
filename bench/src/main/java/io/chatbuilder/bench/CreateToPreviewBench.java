package io.chatbuilder.bench;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.runtime.vite.DependencyCache;
import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.runtime.vite.ViteTemplates;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * B14: create an app from a template to its first preview page (issue 19), warm cache. Ours:
 * {@code ChatBuilder.createApp} + {@code startDraft} with a {@link DependencyCache} already holding the
 * template's dependencies (node_modules linked from it), the dev server in bubblewrap, until the
 * preview URL answers 200. Peer: what a developer runs, {@code npm ci && vite} in a fresh directory
 * with the template's files, unisolated, from the host's warm npm cache, until {@code /} answers
 * 200. Both sides alternate, one repetition each in turn.
 */
final class CreateToPreviewBench {
  private final BenchConfig config;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  CreateToPreviewBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    Path base = config.workDir().resolve("b14");
    Workspace.deleteTree(base);
    List<Result> results = new ArrayList<>();
    // the smoke run keeps to the cheaper template
    List<AppTemplate> templates = config.smoke() ? List.of(ViteTemplates.vanilla()) : List.of(ViteTemplates.vanilla(), ViteTemplates.react());
    for (AppTemplate template : templates) {
      results.add(run(base.resolve(template.id()), template));
    }
    Workspace.deleteTree(base);
    return results;
  }

  private Result run(Path base, AppTemplate template) {
    DependencyCache cache = DependencyCache.builder(base.resolve("store"), (id, dir) -> LocalSandbox.builder(dir).id(id).build())
        .build();
    cache.warm(template, StatusListener.NONE); // "warm cache": the store already has this lockfile's tree
    Measure m = config.slowMeasure();
    List<Long> ours = new ArrayList<>();
    List<Long> peer = new ArrayList<>();
    List<Long> create = new ArrayList<>();
    List<Long> oursDeps = new ArrayList<>();
    List<Long> peerDeps = new ArrayList<>();
    boolean react = template.id().equals(ViteTemplates.REACT);
    String marker = template.id().equals(ViteTemplates.REACT) ? "id=\"root\"></div>" : "id=\"app\"></div>";
    try (LocalSandboxProvider sandboxes = LocalSandboxProvider.create(base.resolve("apps"));
        ViteDraftRuntime drafts = ViteDraftRuntime.builder(sandboxes)
            .dependencyCache(cache, s -> Optional.of(((LocalSandbox) s).root())).build();
        ChatBuilder builder = ChatBuilder.builder().model(ScriptedModel.builder().build()).sandboxes(sandboxes)
            .template(template).draftRuntime(drafts).build()) {
      peerOnce(base, template, "fill-npm-cache", marker, new ArrayList<>()); // the host's npm cache, warm like ours
      for (int i = 0; i < m.warmups() + m.repetitions(); i++) {
        String app = "app-" + i;
        List<String> status = new CopyOnWriteArrayList<>();
        long t0 = System.nanoTime();
        builder.createApp(app, template.id());
        long t1 = System.nanoTime();
        DraftStatus draft = builder.startDraft(app, status::add);
        CheckpointBench.check(draft.state() == DraftState.RUNNING, "B14: the draft did not start: " + draft);
        String page = get(draft.previewUrl().orElseThrow());
        long t2 = System.nanoTime();
        CheckpointBench.check(page.contains(marker), "B14: our preview is not the template's page:\n" + page);
        CheckpointBench.check(status.stream().anyMatch(s -> s.startsWith("dependencies linked from the cache")),
            "B14: the draft did not link from the cache: " + status);
        if (react && i >= m.warmups()) {
          oursDeps.add(untilDependency(draft.previewUrl().orElseThrow()) + t2 - t0);
        }
        builder.stopDraft(app);
        long p = peerOnce(base, template, "peer-" + i, marker, i >= m.warmups() && react ? peerDeps : new ArrayList<>());
        if (i >= m.warmups()) {
          ours.add(t2 - t0);
          create.add(t1 - t0);
          peer.add(p);
        }
      }
    }
    Stats oursStats = Stats.ofNanos(ours);
    Stats peerStats = Stats.ofNanos(peer);
    long limit = template.id().equals(ViteTemplates.REACT) ? 2000 : 1000;
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("template", template.id());
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("ours_create_app_ms", Result.round(Stats.ofNanos(create).medianMs()));
    extra.put("cache", "warm: DependencyCache entry of the template's lockfile, hard links; the peer from the host's warm npm cache");
    if (react) {
      // after the page, its entry module and the first pre-bundled dependency it imports (Vite's
      // optimizer runs when the server starts; this is when a browser could render)
      extra.put("ours_until_prebundled_dependency_ms", Result.round(Stats.ofNanos(oursDeps).medianMs()));
      extra.put("peer_until_prebundled_dependency_ms", Result.round(Stats.ofNanos(peerDeps).medianMs()));
    }
    extra.put("load_average", loadAverage());
    Result r = Result.timed("B14", "B14 create app to first preview, " + template.id(), Optional.empty(),
        "createApp + startDraft (node_modules linked from the dependency cache, Vite in bubblewrap) to HTTP 200", oursStats,
        "npm ci && vite in a fresh directory, unisolated, to HTTP 200", peerStats, 0, "", sizes, extra);
    return CheckpointBench.withTarget(r, "ours <= " + limit + " ms", oursStats.medianMs() <= limit);
  }

  /** One peer run in a fresh directory: {@code npm ci}, then plain Vite until {@code /} answers 200; returns nanoseconds. */
  private long peerOnce(Path base, AppTemplate template, String name, String marker, List<Long> untilDependency) {
    Path dir = base.resolve("peer").resolve(name);
    writeFiles(dir, template);
    int port = freePort();
    Path log = dir.resolve("vite.log");
    long t0 = System.nanoTime();
    Processes.run(dir, List.of(IsolationBench.NPM_CI.split(" ")));
    Process vite = Processes.start(dir, List.of("node", "node_modules/vite/bin/vite.js", "--host", "127.0.0.1", "--port",
        Integer.toString(port), "--strictPort", "--clearScreen", "false"), log);
    try {
      String url = "http://127.0.0.1:" + port + "/";
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        Optional<String> page = tryGet(url);
        if (page.isPresent()) {
          long elapsed = System.nanoTime() - t0;
          CheckpointBench.check(page.get().contains(marker), "B14: the peer's page is not the template's:\n" + page.get());
          if (template.id().equals(ViteTemplates.REACT)) {
            untilDependency.add(untilDependency(url) + elapsed);
          }
          return elapsed;
        }
        CheckpointBench.check(vite.isAlive() && System.nanoTime() < deadline, "B14: plain Vite did not serve; see " + log);
        sleep(10);
      }
    } finally {
      Processes.stop(vite);
      Workspace.deleteTree(dir);
    }
  }

  /** Nanoseconds to fetch the React entry module and the first pre-bundled dependency it imports. */
  private long untilDependency(String previewUrl) {
    String root = previewUrl.endsWith("/") ? previewUrl : previewUrl + "/";
    long t0 = System.nanoTime();
    String main = get(root + "src/main.jsx");
    java.util.regex.Matcher dep = java.util.regex.Pattern.compile("/node_modules/\\.vite/deps/[A-Za-z0-9_.-]+\\.js(\\?v=[0-9a-f]+)?")
        .matcher(main);
    CheckpointBench.check(dep.find(), "B14: the React entry imports no pre-bundled dependency:\n" + main);
    get(root + dep.group().substring(1));
    return System.nanoTime() - t0;
  }

  private String get(String url) {
    return tryGet(url).orElseThrow(() -> new IllegalStateException("B14: " + url + " did not answer 200"));
  }

  private Optional<String> tryGet(String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void writeFiles(Path dir, AppTemplate template) {
    try {
      for (Map.Entry<String, byte[]> e : template.files().entrySet()) {
        Path target = dir.resolve(e.getKey());
        Files.createDirectories(target.getParent());
        Files.write(target, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
