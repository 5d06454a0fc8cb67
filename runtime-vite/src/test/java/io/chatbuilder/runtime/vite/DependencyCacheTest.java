package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dependency cache with real npm, Vite and bubblewrap: a linked install serves the same preview
 * and holds the same tree as {@code npm ci}; an app's sandboxed code cannot change a cached file
 * another app sees; a damaged or unusable cache falls back to npm with a status saying so.
 */
class DependencyCacheTest {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  @TempDir static Path shared;
  @TempDir Path dir;

  @BeforeAll
  static void bubblewrap() {
    SandboxSetup.requireBubblewrap(shared);
  }

  private static DependencyCache cache(Path store) {
    return DependencyCache.builder(store, (id, d) -> SandboxSetup.configure(LocalSandbox.builder(d).id(id)).build()).build();
  }

  private static ViteDraftRuntime.Builder drafts(LocalSandboxProvider sandboxes) {
    return ViteDraftRuntime.builder(sandboxes);
  }

  private static ViteDraftRuntime linked(LocalSandboxProvider sandboxes, DependencyCache cache) {
    return drafts(sandboxes).dependencyCache(cache, s -> Optional.of(((LocalSandbox) s).root())).build();
  }

  @Test
  void aLinkedInstallServesTheSamePreviewAndTreeAsNpmCi() throws Exception {
    for (AppTemplate template : List.of(ViteTemplates.vanilla(), ViteTemplates.react())) {
      Path base = Files.createDirectories(dir.resolve(template.id()));
      DependencyCache cache = cache(base.resolve("store"));
      try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(base.resolve("apps"));
          ViteDraftRuntime withCache = linked(sandboxes, cache);
          ViteDraftRuntime plain = drafts(sandboxes).build()) {
        ViteTestSupport.writeTemplate(sandboxes.open("linked").root(), template);
        ViteTestSupport.writeTemplate(sandboxes.open("fresh").root(), template);
        List<String> linkedStatus = new CopyOnWriteArrayList<>();
        List<String> freshStatus = new CopyOnWriteArrayList<>();
        DraftStatus a = withCache.start("linked", linkedStatus::add);
        DraftStatus b = plain.start("fresh", freshStatus::add);
        assertThat(a.state()).as(a.toString()).isEqualTo(DraftState.RUNNING);
        assertThat(b.state()).as(b.toString()).isEqualTo(DraftState.RUNNING);
        assertThat(linkedStatus).anyMatch(s -> s.startsWith("dependencies linked from the cache"))
            .noneMatch(s -> s.contains("npm ci)"));
        assertThat(freshStatus).contains("installing dependencies (npm ci)");

        Path linkedModules = sandboxes.open("linked").root().resolve("node_modules");
        Path freshModules = sandboxes.open("fresh").root().resolve("node_modules");
        assertThat(tree(linkedModules)).as(template.id() + ": node_modules, linked vs npm ci").isEqualTo(tree(freshModules));
        if (ROOT) {
          Path viteJs = linkedModules.resolve("vite/bin/vite.js");
          assertThat((Integer) Files.getAttribute(viteJs, "unix:nlink")).as("a hard link into the store").isGreaterThanOrEqualTo(2);
          assertThat((Integer) Files.getAttribute(viteJs, "unix:uid")).isEqualTo(65534);
          assertThat((Integer) Files.getAttribute(viteJs, "unix:mode") & 0222).as("no write bit").isZero();
        }

        String linkedUrl = a.previewUrl().orElseThrow();
        String freshUrl = b.previewUrl().orElseThrow();
        String entry = template.id().equals(ViteTemplates.REACT) ? "src/main.jsx" : "src/main.js";
        List<String> paths = new ArrayList<>(List.of("", entry, "@vite/client"));
        String main = ViteTestSupport.get(linkedUrl + entry).body();
        Matcher dep = Pattern.compile("/node_modules/\\.vite/deps/[A-Za-z0-9_.-]+\\.js").matcher(main);
        if (template.id().equals(ViteTemplates.REACT)) {
          assertThat(dep.find()).as("the React entry imports a pre-bundled dependency:\n" + main).isTrue();
          paths.add(dep.group().substring(1));
        }
        for (String path : paths) {
          ViteTestSupport.Response x = ViteTestSupport.get(linkedUrl + path);
          ViteTestSupport.Response y = ViteTestSupport.get(freshUrl + path);
          assertThat(x.status()).as(path).isEqualTo(200);
          assertThat(y.status()).as(path).isEqualTo(200);
          assertThat(normalize(x.body(), sandboxes.open("linked").root()))
              .as(template.id() + " /" + path + ": linked vs npm ci")
              .isEqualTo(normalize(y.body(), sandboxes.open("fresh").root()));
        }
      }
    }
  }

  @Test
  void anAppsSandboxedCodeCannotChangeACachedFileAnotherAppSees() throws Exception {
    DependencyCache cache = cache(dir.resolve("store"));
    try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(dir.resolve("apps"));
        ViteDraftRuntime drafts = linked(sandboxes, cache)) {
      for (String app : List.of("attacker", "victim")) {
        ViteTestSupport.writeTemplate(sandboxes.open(app).root(), ViteTemplates.vanilla());
        assertThat(drafts.start(app, s -> { }).state()).isEqualTo(DraftState.RUNNING);
        drafts.stop(app);
      }
      Path victimModules = sandboxes.open("victim").root().resolve("node_modules");
      Map<String, String> before = tree(victimModules);

      // Every way to change a file in place, from the attacker app's own sandbox; the last one
      // replaces its own link (allowed: that is the attacker's tree only).
      String script = """
          const fs = require('fs');
          const out = {};
          const t = 'node_modules/vite/package.json';
          const attempt = (name, f) => { try { f(); out[name] = 'ok'; } catch (e) { out[name] = e.code || String(e); } };
          attempt('append', () => fs.appendFileSync(t, 'poisoned'));
          attempt('openForWrite', () => fs.closeSync(fs.openSync(t, 'r+')));
          attempt('truncate', () => fs.truncateSync(t, 0));
          attempt('chmod', () => fs.chmodSync(t, 0o666));
          attempt('chown', () => fs.chownSync(t, 1000, 1000));
          attempt('utimes', () => fs.utimesSync(t, 1, 1));
          attempt('writeBin', () => fs.writeFileSync('node_modules/vite/bin/vite.js', 'process.exit(3)'));
          attempt('replaceOwnLink', () => { fs.writeFileSync('x.tmp', 'mine'); fs.renameSync('x.tmp', 'node_modules/vite/LICENSE.md'); });
          console.log(JSON.stringify(out));
          """;
      CommandResult r = sandboxes.open("attacker").run(new CommandRequest(List.of("node", "-e", NodeScripts.evalArgument(script)),
          "", Map.of(), Optional.empty()), CommandListener.NONE, new Cancellation());
      assertThat(r.succeeded()).as(r.stdout() + r.stderr()).isTrue();
      assertThat(r.isolated()).isTrue();
      JsonNode out = new ObjectMapper().readTree(r.stdout().strip().lines().reduce((x, y) -> y).orElseThrow());
      for (String inPlace : List.of("append", "openForWrite", "truncate", "chmod", "chown", "utimes", "writeBin")) {
        assertThat(out.path(inPlace).asText()).as(inPlace + " " + out).isIn("EACCES", "EPERM", "EROFS");
      }
      assertThat(out.path("replaceOwnLink").asText()).isEqualTo("ok");
      assertThat(Files.readString(sandboxes.open("attacker").root().resolve("node_modules/vite/LICENSE.md"))).isEqualTo("mine");

      assertThat(tree(victimModules)).as("the victim's node_modules after the attack").isEqualTo(before);
      // The store still verifies: a third app links from it (no "damaged") and serves.
      List<String> status = new CopyOnWriteArrayList<>();
      ViteTestSupport.writeTemplate(sandboxes.open("third").root(), ViteTemplates.vanilla());
      DraftStatus third = drafts.start("third", status::add);
      assertThat(third.state()).as(third.toString()).isEqualTo(DraftState.RUNNING);
      assertThat(status).anyMatch(s -> s.startsWith("dependencies linked from the cache")).noneMatch(s -> s.contains("damaged"));
      assertThat(tree(sandboxes.open("third").root().resolve("node_modules"))).isEqualTo(before);
      assertThat(ViteTestSupport.get(third.previewUrl().orElseThrow()).status()).isEqualTo(200);
    }
  }

  @Test
  void whereFilesCannotBeGivenAwayAppsGetCopiesTheyCannotShare() throws Exception {
    DependencyCache cache = DependencyCache.builder(dir.resolve("store"),
        (id, d) -> SandboxSetup.configure(LocalSandbox.builder(d).id(id)).build()).keepOwnerForTests().build();
    try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(dir.resolve("apps"));
        ViteDraftRuntime drafts = linked(sandboxes, cache)) {
      for (String app : List.of("a", "b")) {
        ViteTestSupport.writeTemplate(sandboxes.open(app).root(), ViteTemplates.vanilla());
        List<String> status = new CopyOnWriteArrayList<>();
        DraftStatus s = drafts.start(app, status::add);
        assertThat(s.state()).as(s.toString()).isEqualTo(DraftState.RUNNING);
        assertThat(status).anyMatch(m -> m.startsWith("dependencies linked from the cache") && m.contains("copies"));
        assertThat(ViteTestSupport.get(s.previewUrl().orElseThrow()).status()).isEqualTo(200);
        drafts.stop(app);
      }
      Path a = sandboxes.open("a").root().resolve("node_modules");
      Path b = sandboxes.open("b").root().resolve("node_modules");
      Map<String, String> before = tree(b);
      assertThat(tree(a)).isEqualTo(before);
      assertThat((Integer) Files.getAttribute(a.resolve("vite/package.json"), "unix:nlink")).as("a copy, not a link").isEqualTo(1);
      // the app's own copy is its own to change; the other app's and the store's stay as they were
      CommandResult r = sandboxes.open("a").run(new CommandRequest(List.of("node", "-e", NodeScripts.evalArgument(
          "require('fs').appendFileSync('node_modules/vite/package.json', 'changed')")), "", Map.of(), Optional.empty()),
          CommandListener.NONE, new Cancellation());
      assertThat(r.succeeded()).as(r.stderr()).isTrue();
      assertThat(Files.readString(a.resolve("vite/package.json"))).endsWith("changed");
      assertThat(tree(b)).isEqualTo(before);
      ViteTestSupport.writeTemplate(sandboxes.open("c").root(), ViteTemplates.vanilla());
      List<String> status = new CopyOnWriteArrayList<>();
      assertThat(drafts.start("c", status::add).state()).isEqualTo(DraftState.RUNNING);
      assertThat(status).noneMatch(m -> m.contains("damaged"));
      assertThat(tree(sandboxes.open("c").root().resolve("node_modules"))).isEqualTo(before);
    }
  }

  @Test
  void aDamagedOrUnusableCacheFallsBackToNpmWithAStatus() throws Exception {
    Path store = dir.resolve("store");
    DependencyCache cache = cache(store);
    cache.warm(ViteTemplates.vanilla(), s -> { });
    Path entry;
    try (Stream<Path> entries = Files.list(store.resolve("entries"))) {
      entry = entries.findFirst().orElseThrow();
    }
    // damaged: a file of the entry is gone (as if deleted on the host)
    Path victim = entry.resolve("node_modules/vite/package.json");
    Files.delete(victim);
    try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(dir.resolve("apps"));
        ViteDraftRuntime drafts = linked(sandboxes, cache)) {
      ViteTestSupport.writeTemplate(sandboxes.open("a").root(), ViteTemplates.vanilla());
      List<String> status = new CopyOnWriteArrayList<>();
      DraftStatus a = drafts.start("a", status::add);
      assertThat(a.state()).as(a.toString()).isEqualTo(DraftState.RUNNING);
      assertThat(status).anyMatch(s -> s.startsWith("dependency cache not used (the dependency cache entry is damaged")
          && s.contains("vite/package.json is missing") && s.endsWith("installing with npm"));
      assertThat(status).contains("installing dependencies (npm ci)");
      assertThat(sandboxes.open("a").root().resolve("node_modules/vite/package.json")).isRegularFile();
      assertThat(ViteTestSupport.get(a.previewUrl().orElseThrow()).status()).isEqualTo(200);
      assertThat(entry).as("the damaged entry is removed").doesNotExist();

      // the next app fills the entry again and links from it
      ViteTestSupport.writeTemplate(sandboxes.open("b").root(), ViteTemplates.vanilla());
      List<String> statusB = new CopyOnWriteArrayList<>();
      assertThat(drafts.start("b", statusB::add).state()).isEqualTo(DraftState.RUNNING);
      assertThat(statusB).anyMatch(s -> s.startsWith("filling the dependency cache"))
          .anyMatch(s -> s.startsWith("dependencies linked from the cache"));

      // damaged: a cached file made writable again; then an index that was edited
      Files.setAttribute(entry.resolve("node_modules/vite/bin/vite.js"), "unix:mode", 0777);
      assertFallsBack(drafts, sandboxes, "c", "differs from the index");
      cache.warm(ViteTemplates.vanilla(), s -> { });
      Path index = entry.resolve("index.txt");
      Files.writeString(index, Files.readString(index).replace("vite/bin/vite.js", "vite/bin/vite.jz"));
      assertFallsBack(drafts, sandboxes, "d", "its index cannot be read");
    }

    // unusable: the store's directory cannot be made (a file is in its place)
    Path blocked = Files.writeString(dir.resolve("blocked"), "not a directory");
    try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(dir.resolve("apps2"));
        ViteDraftRuntime drafts = linked(sandboxes, cache(blocked))) {
      assertFallsBack(drafts, sandboxes, "e", "cannot create the dependency cache's directories");
    }
    // unusable: the host root the runtime was given is not this app's directory
    try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(dir.resolve("apps3"));
        ViteDraftRuntime drafts = drafts(sandboxes).dependencyCache(cache, s -> Optional.of(dir)).build()) {
      assertFallsBack(drafts, sandboxes, "f", "the app's directory on the host is unknown");
    }
  }

  @Test
  void aStartThatFailsOnALinkedFileChangedInTheStoreIsReinstalledWithNpm() throws Exception {
    Path store = dir.resolve("store");
    DependencyCache cache = cache(store);
    cache.warm(ViteTemplates.vanilla(), s -> { });
    Path entry;
    try (Stream<Path> entries = Files.list(store.resolve("entries"))) {
      entry = entries.findFirst().orElseThrow();
    }
    // Changed on the host with the same size, mode and owner: the stat checks before a link pass.
    Path api = entry.resolve("node_modules/vite/dist/node/index.js");
    long size = Files.size(api);
    String broken = "throw new Error('damaged in the store')\n";
    Files.writeString(api, broken + " ".repeat((int) size - broken.length()));
    assertThat(Files.size(api)).isEqualTo(size);
    try (LocalSandboxProvider sandboxes = ViteTestSupport.sandboxes(dir.resolve("apps"));
        ViteDraftRuntime drafts = linked(sandboxes, cache)) {
      ViteTestSupport.writeTemplate(sandboxes.open("a").root(), ViteTemplates.vanilla());
      List<String> status = new CopyOnWriteArrayList<>();
      DraftStatus a = drafts.start("a", status::add);
      assertThat(a.state()).as(a.toString()).isEqualTo(DraftState.RUNNING);
      assertThat(status).anyMatch(m -> m.startsWith("dependencies linked from the cache"))
          .anyMatch(m -> m.equals("the dependency cache entry is damaged: the content of vite/dist/node/index.js changed: reinstalling with npm"))
          .contains("installing dependencies (npm ci)");
      assertThat(Files.readString(sandboxes.open("a").root().resolve("node_modules/vite/dist/node/index.js"))).doesNotContain("damaged in the store");
      assertThat(ViteTestSupport.get(a.previewUrl().orElseThrow()).status()).isEqualTo(200);
      assertThat(entry).as("the damaged entry is removed").doesNotExist();

      // an app whose own config fails is not the cache's fault: no reinstall, the app's error
      ViteTestSupport.writeTemplate(sandboxes.open("b").root(), ViteTemplates.vanilla());
      Files.writeString(sandboxes.open("b").root().resolve("vite.config.js"), "throw new Error('the app is broken')\n");
      List<String> statusB = new CopyOnWriteArrayList<>();
      DraftStatus b = drafts.start("b", statusB::add);
      assertThat(b.state()).isEqualTo(DraftState.FAILED);
      assertThat(b.error().orElseThrow()).contains("the app is broken");
      assertThat(statusB).anyMatch(m -> m.startsWith("dependencies linked from the cache"))
          .doesNotContain("installing dependencies (npm ci)").noneMatch(m -> m.contains("reinstalling with npm"));
    }
  }

  private static void assertFallsBack(ViteDraftRuntime drafts, LocalSandboxProvider sandboxes, String app, String why) {
    ViteTestSupport.writeTemplate(sandboxes.open(app).root(), ViteTemplates.vanilla());
    List<String> status = new CopyOnWriteArrayList<>();
    DraftStatus s = drafts.start(app, status::add);
    assertThat(s.state()).as(s.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(status).as(why).anyMatch(m -> m.startsWith("dependency cache not used (") && m.contains(why));
    assertThat(status).contains("installing dependencies (npm ci)");
    assertThat(ViteTestSupport.get(s.previewUrl().orElseThrow()).status()).isEqualTo(200);
    drafts.stop(app);
  }

  @Test
  void anIndexThatWasCutOrEditedIsRefused() {
    String text = "chatbuilder-deps-1\nowner 65534\nd vite\nf 444 3 " + "0".repeat(64) + " vite/a b.js\nl .bin/vite\0../vite/a b.js\n";
    String good = text + "end " + io.chatbuilder.core.checkpoint.ContentHash.sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n";
    DependencyCache.Index index = DependencyCache.Index.parse(good);
    assertThat(index.files).extracting(DependencyCache.Index.FileEntry::path).containsExactly("vite/a b.js");
    assertThat(index.symlinks).containsEntry(".bin/vite", "../vite/a b.js");
    assertThat(index.render()).isEqualTo(good);
    assertThatThrownBy(() -> DependencyCache.Index.parse(good.replace("444", "666"))).hasMessageContaining("hash");
    assertThatThrownBy(() -> DependencyCache.Index.parse(text)).hasMessageContaining("end");
    String escaping = "chatbuilder-deps-1\nowner 65534\nl .bin/x\0../../etc/passwd\n";
    assertThatThrownBy(() -> DependencyCache.Index.parse(escaping + "end "
        + io.chatbuilder.core.checkpoint.ContentHash.sha256(escaping.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n"))
        .hasMessageContaining("leads out");
    String absolute = "chatbuilder-deps-1\nowner 65534\nd /etc\n";
    assertThatThrownBy(() -> DependencyCache.Index.parse(absolute + "end "
        + io.chatbuilder.core.checkpoint.ContentHash.sha256(absolute.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n"))
        .hasMessageContaining("bad path");
  }

  /**
   * Path → what it is: a directory, a symlink and its target, or a file's content hash and
   * executable bits; without Vite's own caches, which the dev server writes at run time.
   */
  static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        String rel = root.relativize(p).toString();
        if (rel.equals(".vite") || rel.startsWith(".vite/") || rel.equals(".vite-temp") || rel.startsWith(".vite-temp/")) {
          continue;
        }
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          out.put(rel, "dir");
        } else {
          int x = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0111;
          out.put(rel, io.chatbuilder.core.checkpoint.ContentHash.sha256(Files.readAllBytes(p)) + " x" + Integer.toOctalString(x));
        }
      }
    }
    return out;
  }

  /** Drops what differs between two servers of equal apps: the app's path, cache-busting queries, the HMR token. */
  private static String normalize(String body, Path root) {
    // inline source maps carry the source before these differences: compare them decoded
    Matcher map = Pattern.compile("sourceMappingURL=data:application/json;base64,([A-Za-z0-9+/=]+)").matcher(body);
    StringBuilder decoded = new StringBuilder();
    while (map.find()) {
      String json = new String(java.util.Base64.getDecoder().decode(map.group(1)), java.nio.charset.StandardCharsets.UTF_8)
          // the segments around the random HMR token depend on its characters ('-', '_' split words)
          .replaceAll("\"mappings\":\"[^\"]*\"", "\"mappings\":<mappings>");
      map.appendReplacement(decoded, Matcher.quoteReplacement("sourceMappingURL=<decoded>" + normalize(json, root)));
    }
    map.appendTail(decoded);
    return decoded.toString().replace(root.toString(), "<root>")
        .replaceAll("\\?v=[0-9a-f]+", "?v=<hash>")
        .replaceAll("[?&]t=\\d+", "")
        .replaceAll("wsToken = \\\\?\"[A-Za-z0-9_-]*\\\\?\"", "wsToken = <token>");
  }
}
