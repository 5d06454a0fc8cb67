package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.checkpoint.ContentHash;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The manifest of a build output: every file's relative path to the SHA-256 of its bytes. */
final class Manifests {
  private Manifests() {}

  static SortedMap<String, String> of(Path root) {
    SortedMap<String, String> manifest = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(p -> !p.equals(root)).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new SandboxException("cannot list " + root + ": " + e.getMessage(), e);
    }
    for (Path p : files) {
      if (Files.isSymbolicLink(p)) {
        throw new StepFailure("the build output holds a symbolic link: " + relative(root, p));
      }
      if (Files.isRegularFile(p)) {
        manifest.put(relative(root, p), sha256(p));
      }
    }
    return manifest;
  }

  /** SHA-256 of the lines {@code "<path> <sha256>\n"} in path order: equal for byte-identical outputs. */
  static String hash(Map<String, String> manifest) {
    MessageDigest md = ContentHash.newSha256();
    new TreeMap<>(manifest).forEach((path, sha) -> md.update((path + " " + sha + "\n").getBytes(StandardCharsets.UTF_8)));
    return ContentHash.hex(md.digest());
  }

  private static String sha256(Path file) {
    MessageDigest md = ContentHash.newSha256();
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        md.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new SandboxException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return ContentHash.hex(md.digest());
  }

  private static String relative(Path root, Path p) {
    StringBuilder out = new StringBuilder();
    for (Path segment : root.relativize(p)) {
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(segment);
    }
    return out.toString();
  }
}
