package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.runtime.AppTemplate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViteTemplatesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void builtInTemplatesHaveTheirFilesIncludingDotfiles() {
    AppTemplate vanilla = ViteTemplates.vanilla();
    assertThat(vanilla.id()).isEqualTo(ViteTemplates.VANILLA);
    assertThat(vanilla.description()).isNotBlank();
    assertThat(vanilla.files()).containsOnlyKeys(".gitignore", "index.html", "package-lock.json", "package.json",
        "src/main.js", "src/style.css", "vite.config.js");
    assertThat(text(vanilla, ".gitignore")).contains("node_modules");
    assertThat(text(vanilla, "index.html")).contains("<div id=\"app\">").contains("/src/main.js");

    AppTemplate react = ViteTemplates.react();
    assertThat(react.id()).isEqualTo(ViteTemplates.REACT);
    assertThat(react.files()).containsKeys(".gitignore", "package-lock.json", "src/App.jsx", "src/main.jsx", "vite.config.js");
    assertThat(text(react, "vite.config.js")).contains("@vitejs/plugin-react");
    assertThat(ViteTemplates.builtIn()).extracting(AppTemplate::id).containsExactly("vite-vanilla", "vite-react");
  }

  @Test
  void lockfilesPinExactlyTheVersionsOfPackageJson() throws Exception {
    for (AppTemplate t : ViteTemplates.builtIn()) {
      JsonNode pkg = JSON.readTree(t.files().get("package.json"));
      JsonNode lock = JSON.readTree(t.files().get("package-lock.json"));
      assertThat(lock.path("lockfileVersion").asInt()).as(t.id()).isEqualTo(3);
      JsonNode root = lock.path("packages").path("");
      for (String section : new String[] {"dependencies", "devDependencies"}) {
        Iterator<Map.Entry<String, JsonNode>> deps = pkg.path(section).fields();
        assertThat(root.path(section).size()).as(t.id() + " " + section).isEqualTo(pkg.path(section).size());
        while (deps.hasNext()) {
          Map.Entry<String, JsonNode> dep = deps.next();
          String version = dep.getValue().asText();
          assertThat(version).as("exact version of " + dep.getKey()).matches("\\d+\\.\\d+\\.\\d+");
          assertThat(root.path(section).path(dep.getKey()).asText()).isEqualTo(version);
          assertThat(lock.path("packages").path("node_modules/" + dep.getKey()).path("version").asText())
              .as(t.id() + " locks " + dep.getKey()).isEqualTo(version);
        }
      }
      assertThat(lock.path("packages").path("node_modules/vite").path("integrity").asText()).startsWith("sha512-");
    }
  }

  @Test
  void filesAreCopiesThatCallersCannotChange() {
    AppTemplate t = ViteTemplates.vanilla();
    byte[] html = t.files().get("index.html");
    html[0] = 'X';
    assertThat(t.files().get("index.html")[0]).isEqualTo((byte) '<');
    assertThatThrownBy(() -> t.files().put("x", new byte[0])).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void hostTemplatesNeedPackageJsonAndMayLackALockfile() {
    // without a lockfile the app's first checkpoint gets one (DraftPublishCorrectnessTest)
    assertThat(ViteTemplates.of("mine", "x", Map.of("package.json", "{}".getBytes(StandardCharsets.UTF_8))).files())
        .containsOnlyKeys("package.json");
    assertThatThrownBy(() -> ViteTemplates.of("mine", "x", Map.of("package-lock.json", "{}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("package.json");
    AppTemplate ok = ViteTemplates.of("mine", " Mine ", minimal());
    assertThat(ok.description()).isEqualTo("Mine");
    assertThat(ok.files()).containsOnlyKeys("package.json", "package-lock.json", "index.html");
  }

  @Test
  void hostileIdsAndPathsAreRefused() {
    for (String id : new String[] {"", "../x", "Upper", "a/b", "-x", "x".repeat(65)}) {
      assertThatThrownBy(() -> ViteTemplates.of(id, "x", minimal())).as(id).isInstanceOf(InvalidArgumentException.class);
    }
    for (String path : new String[] {"../evil.js", "/etc/passwd", "a/../../b", "src/\0x.js", "node_modules/x/index.js",
        "dist/index.html", ".git/config", "src//main.js"}) {
      SortedMap<String, byte[]> files = minimal();
      files.put(path, new byte[] {1});
      assertThatThrownBy(() -> ViteTemplates.of("mine", "x", files)).as(path).isInstanceOf(InvalidArgumentException.class);
    }
  }

  @Test
  void fromDirectorySkipsExcludedDirectoriesAndRefusesSymlinks(@TempDir Path dir) throws Exception {
    ViteTestSupport.writeTemplate(dir, ViteTemplates.vanilla());
    Files.createDirectories(dir.resolve("node_modules/vite"));
    Files.writeString(dir.resolve("node_modules/vite/package.json"), "{}");
    Files.createDirectories(dir.resolve("dist"));
    Files.writeString(dir.resolve("dist/index.html"), "built");
    AppTemplate t = ViteTemplates.fromDirectory("from-dir", "From a directory", dir);
    assertThat(t.files().keySet()).isEqualTo(ViteTemplates.vanilla().files().keySet());

    Files.createSymbolicLink(dir.resolve("src/link.js"), Path.of("/etc/hostname"));
    assertThatThrownBy(() -> ViteTemplates.fromDirectory("from-dir", "x", dir))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> ViteTemplates.fromDirectory("x", "x", dir.resolve("missing")))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void fromClasspathReportsMissingResourcesAndBadManifests() {
    ClassLoader loader = getClass().getClassLoader();
    assertThatThrownBy(() -> ViteTemplates.fromClasspath("nope", loader, "io/chatbuilder/runtime/vite/templates/nope"))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("template.txt");
    assertThatThrownBy(() -> ViteTemplates.fromClasspath("bad", loader, "io/chatbuilder/runtime/vite/testtemplates/bad-line"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("line 2");
    assertThatThrownBy(() -> ViteTemplates.fromClasspath("bad", loader, "io/chatbuilder/runtime/vite/testtemplates/escape"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("bad resource name");
  }

  private static SortedMap<String, byte[]> minimal() {
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("package.json", "{}".getBytes(StandardCharsets.UTF_8));
    files.put("package-lock.json", "{}".getBytes(StandardCharsets.UTF_8));
    files.put("index.html", "<p>hi</p>".getBytes(StandardCharsets.UTF_8));
    return files;
  }

  private static String text(AppTemplate t, String path) {
    return new String(t.files().get(path), StandardCharsets.UTF_8);
  }
}
