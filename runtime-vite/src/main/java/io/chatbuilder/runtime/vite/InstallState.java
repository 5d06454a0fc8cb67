package io.chatbuilder.runtime.vite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the runtime installed for each app: the dependency hash of package.json and
 * package-lock.json at the end of its last successful install. Kept in memory and, when the host
 * gives a state directory, in {@code <state>/<appId>.installed}; never in the app's directory,
 * where the app's own code could forge it.
 */
final class InstallState {
  private static final Logger log = LoggerFactory.getLogger(InstallState.class);
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

  private final Optional<Path> directory;
  private final Map<String, String> installed = new ConcurrentHashMap<>();

  InstallState(Optional<Path> directory) {
    this.directory = directory;
  }

  /** The hash installed last for {@code appId}, if any. */
  Optional<String> installed(String appId) {
    String known = installed.get(appId);
    if (known != null || directory.isEmpty()) {
      return Optional.ofNullable(known);
    }
    Path file = file(appId);
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      String hash = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (!HASH.matcher(hash).matches()) {
        log.warn("ignoring damaged install record {}", file);
        return Optional.empty();
      }
      installed.putIfAbsent(appId, hash);
      return Optional.of(hash);
    } catch (IOException e) {
      log.warn("cannot read install record {}: {}", file, e.toString());
      return Optional.empty();
    }
  }

  void record(String appId, String hash) {
    installed.put(appId, hash);
    if (directory.isPresent()) {
      Path file = file(appId);
      try {
        Files.createDirectories(directory.get());
        // write-then-rename: a crash never leaves half a hash
        Path tmp = Files.createTempFile(directory.get(), appId + ".", ".tmp");
        Files.writeString(tmp, hash + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        // Only costs a reinstall after the next restart.
        log.warn("cannot write install record {}: {}", file, e.toString());
      }
    }
  }

  void forget(String appId) {
    installed.remove(appId);
    directory.ifPresent(d -> {
      try {
        Files.deleteIfExists(file(appId));
      } catch (IOException e) {
        log.warn("cannot delete install record of {}: {}", appId, e.toString());
      }
    });
  }

  private Path file(String appId) {
    return directory.orElseThrow().resolve(appId + ".installed");
  }
}
