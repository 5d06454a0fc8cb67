package io.chatbuilder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * B13: the instant preview of issue 17. An edit → visible in headless Chromium, ours (the file
 * written through the app's {@code LocalSandbox}, a {@code ViteDraftRuntime} dev server in bubblewrap
 * with its default file watching) against plain Vite (its command line, native file events, on a
 * copy of the same installed project, the same edit written the same way: a temporary file renamed
 * over the target), on create-vite's vanilla-ts and react-ts shapes, without and with 2,000 extra
 * source files; and the idle CPU of both servers at 2,000 files. A third server, the same runtime on
 * an unisolated sandbox, is measured alongside (in {@code extra}): it tells what the watcher costs
 * from what bubblewrap, its cgroup and the service bridge cost. The servers run side by side and are
 * measured in rotating blocks. The page stamps {@code Date.now()} in the first animation frame
 * after it shows the edit; the latency is that stamp minus the wall clock just before the write.
 */
final class PreviewBench {
  private static final int EXTRA_FILES = 2_000;
  private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(10);
  private static final String STAMP = """
      requestAnimationFrame(() => { (window as any).__shown = { marker: MARKER, at: Date.now() } })""";

  private record Project(String name, Map<String, String> files, String editPath, Function<String, String> edit) {}

  private interface Editor {
    void write(String content);
  }

  /** One server under test: where the browser opens it, how an edit is written, what was measured. */
  private static final class Side {
    final String url;
    final Editor editor;
    final List<Long> nanos = new ArrayList<>();
    int missed;

    Side(String url, Editor editor) {
      this.url = url;
      this.editor = editor;
    }
  }

  private final BenchConfig config;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private long edits;

  PreviewBench(BenchConfig config) {
    this.config = config;
  }

  List<Result> run() {
    Path base = config.workDir().resolve("b13");
    Workspace.deleteTree(base);
    List<Result> results = new ArrayList<>();
    try (LocalSandboxProvider sandboxes = LocalSandboxProvider.create(base.resolve("ours"), b -> { });
        ViteDraftRuntime drafts = ViteDraftRuntime.builder(sandboxes).startTimeout(Duration.ofMinutes(3)).build();
        LocalSandboxProvider unisolated = LocalSandboxProvider.create(base.resolve("unisolated"), b -> b.unisolated());
        ViteDraftRuntime unisolatedDrafts = ViteDraftRuntime.builder(unisolated).startTimeout(Duration.ofMinutes(3)).build();
        Chromium browser = Chromium.start(base.resolve("chromium"), base.resolve("chromedriver.log"))) {
      for (Project project : List.of(vanillaTs(), reactTs())) {
        results.addAll(measure(project, sandboxes, drafts, unisolated, unisolatedDrafts, browser, base));
      }
    }
    Workspace.deleteTree(base);
    return results;
  }

  private List<Result> measure(Project project, LocalSandboxProvider sandboxes, ViteDraftRuntime drafts,
      LocalSandboxProvider unisolated, ViteDraftRuntime unisolatedDrafts, Chromium browser, Path base) {
    List<Result> results = new ArrayList<>();
    LocalSandbox sandbox = sandboxes.open(project.name());
    CheckpointBench.check(sandbox.isolated(), "B13: the draft's sandbox must run in bubblewrap");
    Path ours = sandbox.root();
    project.files().forEach((path, content) -> write(ours.resolve(path), content));
    DraftStatus status = drafts.start(project.name(), StatusListener.NONE);
    CheckpointBench.check(status.state() == DraftState.RUNNING, "B13: the draft did not start: " + status);
    String oursUrl = status.previewUrl().orElseThrow();
    // the same runtime without bubblewrap: tells the watcher's share of a difference from isolation's
    LocalSandbox plain = unisolated.open(project.name());
    Path plainRoot = plain.root();
    project.files().forEach((path, content) -> write(plainRoot.resolve(path), content));
    DraftStatus plainStatus = unisolatedDrafts.start(project.name(), StatusListener.NONE);
    CheckpointBench.check(plainStatus.state() == DraftState.RUNNING, "B13: the unisolated draft did not start: " + plainStatus);

    Path peerDir = base.resolve("peer").resolve(project.name());
    write(peerDir.resolve(".keep"), "");
    // the installed project, node_modules included (same packages for both)
    Processes.run(base, List.of("cp", "-a", ours + "/.", peerDir.toString()));
    int port = freePort();
    Process peer = Processes.start(peerDir, List.of("node", "node_modules/vite/bin/vite.js", "--host", "127.0.0.1",
        "--port", Integer.toString(port), "--strictPort", "--clearScreen", "false"), base.resolve(project.name() + "-vite.log"));
    try {
      String peerUrl = "http://127.0.0.1:" + port + "/";
      awaitHttp200(peerUrl);
      Editor oursEdit = content -> sandbox.write(project.editPath(), content.getBytes(StandardCharsets.UTF_8));
      Editor peerEdit = content -> atomicWrite(peerDir.resolve(project.editPath()), content);
      Editor plainEdit = content -> plain.write(project.editPath(), content.getBytes(StandardCharsets.UTF_8));
      String plainUrl = plainStatus.previewUrl().orElseThrow();
      for (int extra : List.of(0, EXTRA_FILES)) {
        if (extra > 0) {
          addExtraFiles(ours);
          addExtraFiles(peerDir);
          addExtraFiles(plainRoot);
          sleep(Duration.ofSeconds(3)); // the watchers take the new files in
        }
        results.add(editToVisible(project, extra, browser, new Side(oursUrl, oursEdit), new Side(peerUrl, peerEdit),
            new Side(plainUrl, plainEdit)));
      }
      unisolatedDrafts.stop(project.name()); // not part of the idle measurement
      results.add(idleCpu(project, browser, ours, peerDir));
    } finally {
      Processes.stop(peer);
      drafts.stop(project.name());
      unisolatedDrafts.stop(project.name());
    }
    return results;
  }

  private Result editToVisible(Project project, int extra, Chromium browser, Side ours, Side peer, Side unisolated) {
    int perSide = config.smoke() ? 3 : 40;
    int warmups = config.smoke() ? 1 : 5;
    int block = config.smoke() ? 3 : 10;
    List<Side> sides = List.of(ours, peer, unisolated);
    for (Side side : sides) {
      open(browser, side.url, project, side.editor);
      editsOf(browser, project, side, warmups, false);
    }
    while (ours.nanos.size() < perSide) {
      int n = Math.min(block, perSide - ours.nanos.size());
      for (Side side : sides) {
        open(browser, side.url, project, side.editor);
        editsOf(browser, project, side, n, true);
      }
    }
    Stats oursStats = Stats.ofNanos(ours.nanos);
    Stats peerStats = Stats.ofNanos(peer.nanos);
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("project", project.name());
    sizes.put("extra_files", extra);
    sizes.put("edits_per_side", perSide);
    Map<String, Object> extraFacts = new LinkedHashMap<>();
    extraFacts.put("ours_missed", ours.missed);
    extraFacts.put("peer_missed", peer.missed);
    extraFacts.put("p50_difference_ms", Result.round(oursStats.medianMs() - peerStats.medianMs()));
    if (!unisolated.nanos.isEmpty()) {
      Stats u = Stats.ofNanos(unisolated.nanos);
      extraFacts.put("ours_unisolated_ms", Result.round(u.medianMs()));
      extraFacts.put("ours_unisolated_p10_p90_ms", List.of(Result.round(u.p10Ms()), Result.round(u.p90Ms())));
    }
    extraFacts.put("ours_unisolated_missed", unisolated.missed);
    extraFacts.put("edited", project.editPath());
    Result r = Result.timed("B13", "B13 edit→visible " + project.name() + (extra > 0 ? " +" + extra + " files" : ""),
        Optional.empty(), "LocalSandbox.write → ViteDraftRuntime (bubblewrap) → Chromium", oursStats,
        "plain Vite", peerStats, 0, "", sizes, extraFacts);
    boolean met = ours.missed == 0 && oursStats.medianMs() <= peerStats.medianMs() + 10;
    return CheckpointBench.withTarget(r, "p50 <= plain Vite + 10 ms, none missed", met);
  }

  /** Opens the preview and waits until it shows the current content (the first load may pre-bundle and reload). */
  private void open(Chromium browser, String url, Project project, Editor editor) {
    String marker = "open-" + (++edits);
    editor.write(project.edit().apply(marker));
    browser.navigate(url);
    CheckpointBench.check(!Double.isNaN(awaitShown(browser, marker, Instant.now())), "B13: " + url + " never showed " + marker);
    sleep(Duration.ofMillis(300));
  }

  private void editsOf(Chromium browser, Project project, Side side, int count, boolean measured) {
    for (int i = 0; i < count; i++) {
      sleep(Duration.ofMillis(150)); // edits at a person's pace, not a burst
      String marker = "edit-" + (++edits);
      String content = project.edit().apply(marker);
      Instant before = Instant.now();
      side.editor.write(content);
      double ms = awaitShown(browser, marker, before);
      if (Double.isNaN(ms)) {
        side.missed++;
        // the preview is stale: reload it so the next edit starts from the current content
        open(browser, side.url, project, side.editor);
      } else if (measured) {
        side.nanos.add(Math.round(ms * 1_000_000));
      }
    }
  }

  /** Milliseconds from {@code before} to the page's stamp for {@code marker}, or NaN if not shown in time. */
  private static double awaitShown(Chromium browser, String marker, Instant before) {
    long deadline = System.nanoTime() + VISIBLE_WITHIN.toNanos();
    String script = "const s = window.__shown; return s && s.marker === '" + marker + "' ? s.at : null";
    while (System.nanoTime() < deadline) {
      JsonNode at;
      try {
        at = browser.execute(script);
      } catch (IllegalStateException reloading) {
        at = null; // the page is between documents (a full reload)
      }
      if (at != null && at.isNumber()) {
        return at.asDouble() - (before.getEpochSecond() * 1000.0 + before.getNano() / 1e6);
      }
      sleep(Duration.ofMillis(5));
    }
    return Double.NaN;
  }

  private Result idleCpu(Project project, Chromium browser, Path ours, Path peerDir) {
    browser.navigate("about:blank");
    sleep(Duration.ofSeconds(config.smoke() ? 1 : 5));
    Duration window = Duration.ofSeconds(config.smoke() ? 2 : 20);
    long oursStart = cpuNanos(ours);
    long peerStart = cpuNanos(peerDir);
    sleep(window);
    double oursMs = Math.max(cpuNanos(ours) - oursStart, 0) / 1e6;
    double peerMs = Math.max(cpuNanos(peerDir) - peerStart, 0) / 1e6;
    double oursPercent = 100.0 * oursMs / window.toMillis();
    double peerPercent = 100.0 * peerMs / window.toMillis();
    Map<String, Object> sizes = new LinkedHashMap<>();
    sizes.put("project", project.name());
    sizes.put("extra_files", EXTRA_FILES);
    sizes.put("window_s", window.toSeconds());
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("ours_percent_of_a_core", Result.round(oursPercent));
    extra.put("peer_percent_of_a_core", Result.round(peerPercent));
    // CPU milliseconds over the window; the ratio is peer / ours of CPU time
    double ratio = oursMs == 0 ? (peerMs == 0 ? 1 : Double.POSITIVE_INFINITY) : peerMs / oursMs;
    return new Result("B13", "B13 idle CPU " + project.name() + " +" + EXTRA_FILES + " files (CPU ms per " + window.toSeconds() + " s)",
        Optional.empty(), "ViteDraftRuntime dev server in bubblewrap, idle", Stats.single(oursMs), "plain Vite, idle",
        Stats.single(peerMs), ratio, "cpu", "ours < 1 % of a core", oursPercent < 1, sizes, extra);
  }

  /**
   * Time on a CPU (nanoseconds, the scheduler's {@code /proc/<pid>/task/<tid>/schedstat}) of every
   * thread of every process whose working directory is {@code root} or below.
   */
  private static long cpuNanos(Path root) {
    Path real;
    try {
      real = root.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long[] total = {0};
    ProcessHandle.allProcesses().forEach(p -> {
      Path proc = Path.of("/proc", Long.toString(p.pid()));
      try {
        if (!Files.readSymbolicLink(proc.resolve("cwd")).startsWith(real)) {
          return;
        }
        try (var tasks = Files.list(proc.resolve("task"))) {
          for (Path task : (Iterable<Path>) tasks::iterator) {
            try {
              total[0] += Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
            } catch (IOException | RuntimeException threadGone) {
              // exited between the listing and the read
            }
          }
        }
      } catch (IOException | RuntimeException gone) {
        // not ours to read, or exited
      }
    });
    return total[0];
  }

  private void awaitHttp200(String url) {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // starting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(Duration.ofMillis(100));
    }
    throw new IllegalStateException("B13: plain Vite did not answer at " + url);
  }

  private static void addExtraFiles(Path root) {
    for (int i = 0; i < EXTRA_FILES; i++) {
      write(root.resolve(String.format(Locale.ROOT, "src/extra/d%02d/f%04d.ts", i / 25, i)),
          "export const value" + i + " = " + i + "\nexport function f" + i + "(x: number): number {\n  return x * " + i + "\n}\n");
    }
  }

  private static void atomicWrite(Path target, String content) {
    try {
      Path temp = target.resolveSibling(".bench-tmp-" + System.nanoTime());
      Files.writeString(temp, content);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path target, String content) {
    try {
      Files.createDirectories(target.getParent());
      Files.writeString(target, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ the projects (create-vite's shapes)

  private static final String VITE = "7.3.8";

  /** create-vite's vanilla-ts: an edit of an imported module is a full page reload. */
  private static Project vanillaTs() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("package.json", """
        {
          "name": "b13-vanilla-ts",
          "private": true,
          "version": "0.0.0",
          "type": "module",
          "scripts": { "dev": "vite", "build": "vite build" },
          "devDependencies": { "vite": "%s" },
          "overrides": { "rollup": "4.67.4" }
        }
        """.formatted(VITE));
    files.put("index.html", """
        <!doctype html>
        <html lang="en">
          <head><meta charset="UTF-8" /><title>b13</title></head>
          <body><div id="app"></div><script type="module" src="/src/main.ts"></script></body>
        </html>
        """);
    files.put("src/main.ts", """
        import { MARKER } from './marker.ts'
        document.querySelector<HTMLDivElement>('#app')!.innerHTML = `<p id="marker">${MARKER}</p>`
        """ + STAMP + "\n");
    Function<String, String> edit = marker -> "export const MARKER = '" + marker + "'\n";
    files.put("src/marker.ts", edit.apply("initial"));
    return new Project("vanilla-ts", files, "src/marker.ts", edit);
  }

  /** create-vite's react-ts: an edit of the component is a React Fast Refresh update. */
  private static Project reactTs() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("package.json", """
        {
          "name": "b13-react-ts",
          "private": true,
          "version": "0.0.0",
          "type": "module",
          "scripts": { "dev": "vite", "build": "vite build" },
          "dependencies": { "react": "19.2.0", "react-dom": "19.2.0" },
          "devDependencies": { "@vitejs/plugin-react": "5.2.0", "vite": "%s" },
          "overrides": { "rollup": "4.67.4" }
        }
        """.formatted(VITE));
    files.put("vite.config.ts", """
        import { defineConfig } from 'vite'
        import react from '@vitejs/plugin-react'

        export default defineConfig({ plugins: [react()] })
        """);
    files.put("index.html", """
        <!doctype html>
        <html lang="en">
          <head><meta charset="UTF-8" /><title>b13</title></head>
          <body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body>
        </html>
        """);
    files.put("src/main.tsx", """
        import { StrictMode } from 'react'
        import { createRoot } from 'react-dom/client'
        import App from './App.tsx'

        createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>)
        """);
    Function<String, String> edit = marker -> """
        import { useEffect } from 'react'

        const MARKER = '%s'

        export default function App() {
          useEffect(() => {
            %s
          })
          return <p id="marker">{MARKER}</p>
        }
        """.formatted(marker, STAMP);
    files.put("src/App.tsx", edit.apply("initial"));
    return new Project("react-ts", files, "src/App.tsx", edit);
  }
}
