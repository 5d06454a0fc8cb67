package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.AppId;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SandboxProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Opens one {@link LocalSandbox} per app in a directory {@code <baseDir>/<appId>}. App ids are
 * checked by core's one rule ({@link io.chatbuilder.core.AppId}: letters, digits, '-', '_', single dots), so an id can
 * never name a directory outside the base. Opening the same app twice returns the same sandbox
 * while it is open; once it is closed (the facade evicts idle sandboxes) the next open builds a new one.
 *
 * <pre>{@code
 * SandboxProvider sandboxes = LocalSandboxProvider.create(Path.of("apps"),
 *     b -> b.policy(CommandPolicy.defaults()));   // isolated by bubblewrap
 * }</pre>
 *
 * <p>Bubblewrap is probed once per provider, at the first command or service of any of its sandboxes.
 */
public final class LocalSandboxProvider implements SandboxProvider, AutoCloseable {

  private final Path baseDir;
  private final Consumer<LocalSandbox.Builder> configuration;
  private final Map<String, LocalSandbox> open = new ConcurrentHashMap<>();
  private final Bubblewrap.Probes probes = new Bubblewrap.Probes();

  private LocalSandboxProvider(Path baseDir, Consumer<LocalSandbox.Builder> configuration) {
    this.baseDir = baseDir;
    this.configuration = configuration;
  }

  /** A provider with default sandbox settings. */
  public static LocalSandboxProvider create(Path baseDir) {
    return create(baseDir, b -> {});
  }

  /** A provider that applies {@code configuration} to every sandbox's builder (policy, exclusions, isolation...). */
  public static LocalSandboxProvider create(Path baseDir, Consumer<LocalSandbox.Builder> configuration) {
    Objects.requireNonNull(baseDir, "baseDir == null");
    Objects.requireNonNull(configuration, "configuration == null");
    try {
      Files.createDirectories(baseDir);
      return new LocalSandboxProvider(baseDir.toRealPath(), configuration);
    } catch (IOException e) {
      throw new SandboxException("cannot create the sandbox base directory " + baseDir + ": " + e.getMessage(), e);
    }
  }

  /** Checks an app id; throws {@link InvalidArgumentException} saying why it is refused. */
  public static String validateAppId(String appId) {
    return AppId.check(appId);
  }

  @Override
  public LocalSandbox open(String appId) {
    validateAppId(appId);
    return open.computeIfAbsent(appId, id -> {
      Path dir = baseDir.resolve(id);
      if (Files.isSymbolicLink(dir)) {
        throw new PathRefusedException("path refused: the directory of app " + id + " is a symbolic link");
      }
      if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new SandboxException("the directory of app " + id + " is not a directory");
      }
      LocalSandbox.Builder builder = LocalSandbox.builder(dir).id(id).probes(probes);
      configuration.accept(builder);
      LocalSandbox[] built = new LocalSandbox[1];
      builder.onClose(() -> {
        if (built[0] != null) {
          open.remove(id, built[0]);
        }
      });
      built[0] = builder.build();
      return built[0];
    });
  }

  /** Closes every sandbox this provider opened. */
  @Override
  public void close() {
    java.util.List.copyOf(open.values()).forEach(Sandbox::close);
    open.clear();
  }
}
