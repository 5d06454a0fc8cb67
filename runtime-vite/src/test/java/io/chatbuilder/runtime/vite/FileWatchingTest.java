package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File watching of the draft's default (no polling): a real Vite dev server in a bubblewrap sandbox,
 * edits made through the sandbox's file API (which writes a temporary file and renames it over the
 * target), and Vite's HMR websocket as the observer, as a page's client sees it. An edit counts as
 * seen when the server tells its pages to update or reload because of that file and then serves the
 * new content; an edit not seen within {@link #SEEN_WITHIN} is a missed edit (the limit only stops
 * a broken run, it measures nothing). {@code -Dchatbuilder.watch.tries=N} changes the 1,000 tries.
 */
class FileWatchingTest {
  private static final String APP = "watched";
  private static final Duration SEEN_WITHIN = Duration.ofSeconds(10);
  private static final int TRIES = Integer.getInteger("chatbuilder.watch.tries", 1000);
  /** Rounds of 100 rapid edits: 10 rounds are 1,000 edits. */
  private static final int RAPID_ROUNDS = Math.max(1, TRIES / 100);

  @TempDir static Path shared;
  private static LocalSandboxProvider sandboxes;
  private static ViteDraftRuntime drafts;
  private static Sandbox sandbox;
  private static String preview;
  private static HmrObserver hmr;

  @BeforeAll
  static void start() throws Exception {
    SandboxSetup.requireBubblewrap(shared);
    Path app = shared.resolve(APP);
    ViteTestSupport.writeTemplate(app, ViteTemplates.vanilla());
    Files.writeString(app.resolve("src/atomic.js"), module("initial"));
    Files.writeString(app.resolve("src/recreated.js"), module("initial"));
    Files.writeString(app.resolve("src/rapid.js"), module("initial"));
    Files.createDirectories(app.resolve("src/moved-0"));
    Files.writeString(app.resolve("src/moved-0/inner.js"), module("initial"));
    sandboxes = ViteTestSupport.sandboxes(shared);
    drafts = ViteDraftRuntime.builder(sandboxes).build(); // the default: no polling
    DraftStatus status = drafts.start(APP, StatusListener.NONE);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    preview = status.previewUrl().orElseThrow();
    sandbox = sandboxes.open(APP);
    hmr = HmrObserver.connect(preview);
    assertThat(ViteTestSupport.viteProcess(app)).isPresent();
  }

  @AfterAll
  static void stop() {
    if (hmr != null) {
      hmr.close();
    }
    if (drafts != null) {
      drafts.close();
    }
    if (sandboxes != null) {
      sandboxes.close();
    }
  }

  @BeforeEach
  void quiet() {
    hmr.drain();
  }

  @Test
  void defaultDevServerDoesNotPoll() throws Exception {
    Path app = shared.resolve(APP);
    ProcessHandle vite = ViteTestSupport.viteProcess(app).orElseThrow();
    String environ = new String(Files.readAllBytes(Path.of("/proc", Long.toString(vite.pid()), "environ")), StandardCharsets.UTF_8);
    assertThat(environ.split("\0")).noneMatch(v -> v.startsWith("CHOKIDAR_USEPOLLING="));
    // the dev server script runs (its watcher replaces chokidar's)
    assertThat(ViteTestSupport.commandLine(vite)).contains("eval(decodeURIComponent(");
  }

  @Test
  void atomicReplacementIsNeverMissed() {
    served("src/atomic.js", "initial");
    for (int i = 1; i <= TRIES; i++) {
      String marker = "atomic-" + i;
      sandbox.write("src/atomic.js", bytes(module(marker)));
      seen("src/atomic.js", marker, "atomic replace, try " + i);
    }
  }

  @Test
  void deleteAndRecreateIsNeverMissed() {
    served("src/recreated.js", "initial");
    for (int i = 1; i <= TRIES; i++) {
      String marker = "recreated-" + i;
      assertThat(sandbox.delete("src/recreated.js")).containsExactly("src/recreated.js");
      sandbox.write("src/recreated.js", bytes(module(marker)));
      seen("src/recreated.js", marker, "delete and recreate, try " + i);
      // the recreated file is watched: a plain edit of it is seen as well
      sandbox.write("src/recreated.js", bytes(module(marker + "-edited")));
      seen("src/recreated.js", marker + "-edited", "edit after recreate, try " + i);
    }
  }

  @Test
  void editRightAfterADirectoryRenameIsNeverMissed() {
    served("src/moved-0/inner.js", "initial");
    for (int i = 1; i <= TRIES; i++) {
      String from = "src/moved-" + (i - 1);
      String to = "src/moved-" + i;
      sandbox.rename(from, to);
      // written at once, while the watcher may not yet know the directory
      sandbox.write(to + "/inner.js", bytes(module("moved-" + i)));
      served(to + "/inner.js", "moved-" + i); // now in Vite's module graph, its transform cached
      hmr.drain();
      String marker = "moved-" + i + "-edited";
      sandbox.write(to + "/inner.js", bytes(module(marker)));
      seen(to + "/inner.js", marker, "edit in a renamed directory, try " + i);
    }
    assertThat(sandbox.tryRead("src/moved-0/inner.js")).isEmpty();
  }

  @Test
  void directoryDeletedAndRecreatedUnderTheSameNameIsWatchedAgain() {
    sandbox.write("src/replaced/inner.js", bytes(module("first")));
    served("src/replaced/inner.js", "first");
    int tries = Math.max(1, TRIES / 10);
    for (int i = 1; i <= tries; i++) {
      sandbox.delete("src/replaced");
      // a new directory (whose inode number the file system may give the deleted one's again)
      sandbox.write("src/replaced/inner.js", bytes(module("replaced-" + i)));
      seen("src/replaced/inner.js", "replaced-" + i, "directory deleted and made again, try " + i);
      hmr.drain();
      String marker = "replaced-" + i + "-edited";
      sandbox.write("src/replaced/inner.js", bytes(module(marker)));
      seen("src/replaced/inner.js", marker, "edit in a directory replaced by another, try " + i);
    }
  }

  @Test
  void lastOfOneHundredRapidEditsIsNeverMissed() {
    served("src/rapid.js", "initial");
    for (int round = 1; round <= RAPID_ROUNDS; round++) {
      String last = null;
      for (int edit = 1; edit <= 100; edit++) {
        last = "rapid-" + round + "-" + edit;
        sandbox.write("src/rapid.js", bytes(module(last)));
      }
      seen("src/rapid.js", last, "100 rapid edits, round " + round);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static String module(String marker) {
    return "export const marker = '" + marker + "'\n";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Requests the module (so it is in Vite's module graph, as a page that imported it) and checks it. */
  private static void served(String path, String marker) {
    ViteTestSupport.Response r = ViteTestSupport.get(preview + path);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("'" + marker + "'");
  }

  /**
   * Waits for the server to tell its pages about {@code path}; then the module it serves must be the
   * edit's. An update for an earlier edit of the same file (an intermediate state of rapid edits)
   * is followed by another one for the latest; anything else is a miss.
   */
  private static void seen(String path, String marker, String what) {
    long deadline = System.nanoTime() + SEEN_WITHIN.toNanos();
    List<String> got = new ArrayList<>();
    String lastServed = "(nothing: no update came)";
    while (true) {
      long left = deadline - System.nanoTime();
      JsonNode m = left > 0 ? hmr.next(Duration.ofNanos(left)) : null;
      if (m == null) {
        throw new AssertionError("missed edit (" + what + "): no update of " + path + " with '" + marker + "' within "
            + SEEN_WITHIN + "; messages " + got + "; last served " + lastServed);
      }
      got.add(m.toString());
      if (!HmrObserver.concerns(m, path)) {
        continue;
      }
      ViteTestSupport.Response r = ViteTestSupport.get(preview + path);
      lastServed = r.body();
      if (r.status() == 200 && r.body().contains("'" + marker + "'")) {
        return;
      }
    }
  }
}
