package io.chatbuilder.tools.mcp;

import io.chatbuilder.core.checkpoint.ContentHash;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;

/** The names the model sees: {@code <server>__<tool>}, within the providers' rule {@code ^[a-zA-Z0-9_-]{1,64}$}. */
final class ToolNames {
  static final Pattern SERVER_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,32}");
  private static final Pattern NOT_ALLOWED = Pattern.compile("[^a-zA-Z0-9_-]");
  private static final int MAX = 64;

  private ToolNames() {}

  /**
   * The model-facing name of a server's tool. A tool name that had to change (bad characters, too
   * long) or that would collide with one already taken gets a short hash of the original, so two
   * different tools never share a name.
   */
  static String of(String server, String tool, Set<String> taken) {
    String clean = server + "__" + NOT_ALLOWED.matcher(tool).replaceAll("_");
    if (clean.length() <= MAX && clean.equals(server + "__" + tool) && !taken.contains(clean)) {
      return clean;
    }
    String hash = ContentHash.sha256(tool.getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    String base = clean.length() > MAX - 9 ? clean.substring(0, MAX - 9) : clean;
    return base + "_" + hash;
  }
}
