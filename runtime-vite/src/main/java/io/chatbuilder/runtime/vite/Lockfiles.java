package io.chatbuilder.runtime.vite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.chatbuilder.core.json.JsonCodec;
import java.util.List;
import java.util.Optional;

/**
 * Whether a {@code package-lock.json} records what {@code package.json} asks for: the dependency
 * specs of the lockfile's root package ({@code packages[""]}, lockfile version 2 and 3) equal those
 * of package.json. That is the check {@code npm ci} fails on ("package.json and package-lock.json
 * are not in sync") after someone edited package.json alone; it is made in Java, without npm.
 */
final class Lockfiles {
  static final String MANIFEST = "package.json";
  static final String LOCKFILE = "package-lock.json";
  private static final List<String> FIELDS =
      List.of("dependencies", "devDependencies", "optionalDependencies", "peerDependencies");
  private static final JsonCodec JSON = new JsonCodec();

  private Lockfiles() {}

  /**
   * Whether the lockfile matches; an unreadable package.json counts as matching (npm reports it
   * itself), an unreadable or old-format lockfile does not.
   */
  static boolean inSync(byte[] manifest, Optional<byte[]> lockfile) {
    if (lockfile.isEmpty()) {
      return false;
    }
    JsonNode pkg = parse(manifest);
    if (pkg == null || !pkg.isObject()) {
      return true; // npm says what is wrong with package.json; rewriting the lockfile would not help
    }
    JsonNode lock = parse(lockfile.get());
    if (lock == null || !lock.isObject()) {
      return false;
    }
    JsonNode root = lock.path("packages").path("");
    if (!root.isObject()) {
      return false; // lockfile version 1: npm install rewrites it in the current format
    }
    for (String field : FIELDS) {
      if (!specs(pkg.path(field)).equals(specs(root.path(field)))) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode specs(JsonNode node) {
    return node.isObject() && !node.isEmpty() ? node : MissingNode.getInstance();
  }

  private static JsonNode parse(byte[] bytes) {
    try {
      return JSON.read(bytes);
    } catch (io.chatbuilder.core.InvalidArgumentException e) {
      return null;
    }
  }
}
