package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.SandboxPaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * App templates new apps start from: the two shipped with the SDK ({@link #vanilla()}, {@link
 * #react()}) and host-made ones ({@link #of}, {@link #fromDirectory}, {@link #fromClasspath}).
 *
 * <p>Every template must contain {@code package.json}. A committed {@code package-lock.json} makes
 * installs reproducible with {@code npm ci}; without one (as create-vite's templates come), the draft
 * runtime resolves one before the app's first checkpoint, so that checkpoint records it (and a
 * publish of a checkpoint that still lacks one resolves it in the build directory).
 *
 * <pre>{@code
 * ChatBuilder builder = ChatBuilder.builder()
 *     .template(ViteTemplates.vanilla())
 *     .template(ViteTemplates.fromDirectory("shop", "Our shop starter", Path.of("templates/shop")))
 *     ...
 * }</pre>
 */
public final class ViteTemplates {
  /** Id of the minimal Vite + vanilla JavaScript template. */
  public static final String VANILLA = "vite-vanilla";
  /** Id of the Vite + React template. */
  public static final String REACT = "vite-react";

  private static final String RESOURCE_BASE = "io/chatbuilder/runtime/vite/templates/";
  private static final String MANIFEST = "template.txt";
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final long MAX_TEMPLATE_BYTES = 64L * 1024 * 1024;

  private ViteTemplates() {}

  /** Minimal Vite 7 app in vanilla JavaScript ({@code index.html}, {@code src/main.js}). */
  public static AppTemplate vanilla() {
    return builtIn(VANILLA);
  }

  /** Vite 7 app with React 19 ({@code src/main.jsx}, {@code src/App.jsx}). */
  public static AppTemplate react() {
    return builtIn(REACT);
  }

  /** The templates shipped with the SDK. */
  public static List<AppTemplate> builtIn() {
    return List.of(vanilla(), react());
  }

  private static AppTemplate builtIn(String id) {
    return fromClasspath(id, ViteTemplates.class.getClassLoader(), RESOURCE_BASE + id);
  }

  /**
   * A template from files in memory.
   *
   * @throws InvalidArgumentException if the id is not 1-64 lowercase letters, digits, '.', '_' or
   *     '-', a path is hostile or excluded (e.g. {@code node_modules/...}), or {@code package.json}
   *     is missing
   */
  public static AppTemplate of(String id, String description, Map<String, byte[]> files) {
    Objects.requireNonNull(id, "id == null");
    Objects.requireNonNull(description, "description == null");
    Objects.requireNonNull(files, "files == null");
    if (!ID.matcher(id).matches()) {
      throw new InvalidArgumentException("invalid template id '" + id
          + "': use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    SortedMap<String, byte[]> copy = new TreeMap<>();
    long total = 0;
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      String path = Objects.requireNonNull(e.getKey(), "path == null");
      byte[] content = Objects.requireNonNull(e.getValue(), "content of " + path + " == null");
      String normalized;
      try {
        normalized = SandboxPaths.normalize(path);
      } catch (PathRefusedException refused) {
        throw new InvalidArgumentException("template " + id + ": " + refused.getMessage(), refused);
      }
      if (!normalized.equals(path)) {
        throw new InvalidArgumentException("template " + id + ": path '" + path + "' is not normalized (use '" + normalized + "')");
      }
      if (Exclusions.defaults().isExcluded(path)) {
        throw new InvalidArgumentException("template " + id + ": path '" + path
            + "' is in an excluded directory (node_modules, dist, .git, caches) and would never be checkpointed");
      }
      total += content.length;
      if (total > MAX_TEMPLATE_BYTES) {
        throw new InvalidArgumentException("template " + id + " is larger than " + MAX_TEMPLATE_BYTES + " bytes");
      }
      copy.put(path, content.clone());
    }
    if (!copy.containsKey("package.json")) {
      throw new InvalidArgumentException("template " + id + " has no package.json: a Vite app template needs one");
    }
    return new StaticTemplate(id, description.strip(), copy);
  }

  /**
   * A template from the files of a directory, without excluded ones ({@code node_modules},
   * {@code dist}, {@code .git}, caches). Symbolic links are refused.
   */
  public static AppTemplate fromDirectory(String id, String description, Path directory) {
    Objects.requireNonNull(directory, "directory == null");
    if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      throw new NotFoundException("template directory " + directory + " does not exist or is not a directory");
    }
    Map<String, byte[]> files = new TreeMap<>();
    Exclusions exclusions = Exclusions.defaults();
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(directory)) {
      walk.forEach(paths::add);
    } catch (IOException | UncheckedIOException e) {
      throw new SandboxException("cannot read template directory " + directory + ": " + e.getMessage(), e);
    }
    for (Path p : paths) {
      if (p.equals(directory)) {
        continue;
      }
      String rel = relative(directory, p);
      if (exclusions.isExcluded(rel)) {
        continue;
      }
      if (Files.isSymbolicLink(p)) {
        throw new InvalidArgumentException("template " + id + ": " + rel + " is a symbolic link; templates hold plain files");
      }
      if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        try {
          files.put(rel, Files.readAllBytes(p));
        } catch (IOException e) {
          throw new SandboxException("cannot read template file " + p + ": " + e.getMessage(), e);
        }
      }
    }
    return of(id, description, files);
  }

  /**
   * A template packaged as resources: {@code resourceDirectory/template.txt} lists its files, one
   * {@code file: path} line each ({@code file: .gitignore = _gitignore} to store a dotfile under
   * another resource name, since build tools skip some dotfiles), and a {@code description:} line.
   * A manifest is needed because class path directories cannot be listed reliably inside jars.
   */
  public static AppTemplate fromClasspath(String id, ClassLoader loader, String resourceDirectory) {
    Objects.requireNonNull(loader, "loader == null");
    Objects.requireNonNull(resourceDirectory, "resourceDirectory == null");
    String base = resourceDirectory.endsWith("/") ? resourceDirectory : resourceDirectory + "/";
    String manifest = new String(resource(loader, base + MANIFEST), StandardCharsets.UTF_8);
    String description = "";
    Map<String, byte[]> files = new TreeMap<>();
    int lineNo = 0;
    for (String raw : manifest.split("\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("description:")) {
        description = line.substring("description:".length()).strip();
      } else if (line.startsWith("file:")) {
        String spec = line.substring("file:".length()).strip();
        int eq = spec.indexOf('=');
        String path = (eq < 0 ? spec : spec.substring(0, eq)).strip();
        String name = (eq < 0 ? spec : spec.substring(eq + 1)).strip();
        if (name.contains("..") || name.startsWith("/")) {
          throw new InvalidArgumentException("template manifest " + base + MANIFEST + " line " + lineNo + ": bad resource name '" + name + "'");
        }
        files.put(path, resource(loader, base + name));
      } else {
        throw new InvalidArgumentException("template manifest " + base + MANIFEST + " line " + lineNo
            + ": expected 'description: ...' or 'file: path [= resource]', got '" + line + "'");
      }
    }
    return of(id, description, files);
  }

  private static byte[] resource(ClassLoader loader, String name) {
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        throw new NotFoundException("template resource " + name + " is not on the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new SandboxException("cannot read template resource " + name + ": " + e.getMessage(), e);
    }
  }

  private static String relative(Path base, Path p) {
    StringBuilder out = new StringBuilder();
    for (Path segment : base.relativize(p)) {
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(segment);
    }
    return out.toString();
  }

  /** An immutable template; {@link #files()} hands out copies so callers cannot change it. */
  private record StaticTemplate(String id, String description, SortedMap<String, byte[]> content) implements AppTemplate {
    @Override
    public SortedMap<String, byte[]> files() {
      SortedMap<String, byte[]> out = new TreeMap<>();
      content.forEach((path, bytes) -> out.put(path, bytes.clone()));
      return java.util.Collections.unmodifiableSortedMap(out);
    }

    @Override
    public String toString() {
      return "AppTemplate[" + id + ", " + content.size() + " files]";
    }
  }
}
