package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.CommandDeniedException;
import io.chatbuilder.core.sandbox.CommandPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks this sandbox adds after {@link CommandPolicy#check}: rules that need to know the root, or
 * close ways around the allowlist through the allowed programs themselves.
 *
 * <p>These are a first line, not the boundary: {@code node} can run any JavaScript, so only
 * bubblewrap really keeps a command inside the root.
 */
final class LocalCommandRules {
  private static final Set<String> NPM_OPTIONS_THAT_LEAVE = Set.of(
      "-g", "--global", "-C", "--prefix", "--userconfig", "--globalconfig", "--cache", "--node-options",
      "--init-module", "--script-shell", "--shell", "--editor", "--git", "--location");
  private static final Set<String> NPM_CONFIG_KEYS_THAT_RUN = Set.of(
      "script-shell", "shell", "editor", "browser", "viewer", "git", "node-options", "prefix", "globalconfig",
      "userconfig", "cache", "init-module", "location", "global");
  /** npm subcommands that run a program or a shell of the agent's choosing outside the script lifecycle. */
  private static final Set<String> NPM_SHELLS = Set.of("explore", "edit");

  private LocalCommandRules() {}

  static void check(CommandPolicy policy, Path root, String allowedProgram, List<String> argv) {
    String program = allowedProgram.toLowerCase(Locale.ROOT);
    List<String> args = argv.subList(1, argv.size());
    for (String arg : args) {
      checkPathArgument(root, program, arg);
    }
    if (program.equals("npm") || program.equals("npx")) {
      checkNpm(policy, program, args);
    }
  }

  /** Absolute paths must lie inside the root; {@code ..} segments are refused outright. */
  private static void checkPathArgument(Path root, String program, String arg) {
    String value = arg;
    int eq = arg.indexOf('=');
    if (arg.startsWith("-") && eq > 0) {
      value = arg.substring(eq + 1);
    }
    for (String segment : value.split("[/\\\\]")) {
      if (segment.equals("..")) {
        throw new CommandDeniedException("command refused: argument '" + arg + "' of " + program
            + " contains '..'; commands may only use paths inside the app");
      }
    }
    if (value.startsWith("~")) {
      throw new CommandDeniedException("command refused: argument '" + arg + "' of " + program
          + " names a home directory; commands may only use paths inside the app");
    }
    if (value.startsWith("/") && !Path.of(value).normalize().startsWith(root)) {
      throw new CommandDeniedException("command refused: argument '" + arg + "' of " + program
          + " is an absolute path outside the app; use a path relative to the app root");
    }
  }

  private static void checkNpm(CommandPolicy policy, String program, List<String> args) {
    String subcommand = program.equals("npx") ? "exec" : null;
    boolean expectTarget = program.equals("npx");
    boolean skipNext = false;
    for (String arg : args) {
      String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      if (NPM_OPTIONS_THAT_LEAVE.contains(option)) {
        throw new CommandDeniedException("command refused: " + program + " " + option
            + " reaches outside the app or runs a program of its own");
      }
      if (skipNext) {
        skipNext = false;
        continue;
      }
      if (arg.equals("-p") || arg.equals("--package")) {
        skipNext = true;
        continue;
      }
      if (arg.equals("--")) {
        continue;
      }
      if (arg.startsWith("-")) {
        continue;
      }
      if (subcommand == null) {
        subcommand = arg.toLowerCase(Locale.ROOT);
        if (NPM_SHELLS.contains(subcommand)) {
          throw new CommandDeniedException("command refused: npm " + subcommand + " runs a shell or an editor");
        }
        expectTarget = subcommand.equals("exec") || subcommand.equals("x");
        continue;
      }
      if (expectTarget) {
        expectTarget = false;
        String target = arg.toLowerCase(Locale.ROOT);
        String name = target.substring(target.lastIndexOf('/') + 1);
        if (target.indexOf('/') >= 0 && !target.startsWith("@")) {
          throw new CommandDeniedException("command refused: " + program + " may not run a program by path ('" + arg + "')");
        }
        if (policy.deniedPrograms().contains(name) || policy.deniedPrograms().contains(target)) {
          throw new CommandDeniedException("command refused: '" + arg + "' is denied by the command policy, also through "
              + program);
        }
      }
      if (subcommand.equals("config") || subcommand.equals("set") || subcommand.equals("c")) {
        String key = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        if (NPM_CONFIG_KEYS_THAT_RUN.contains(key.toLowerCase(Locale.ROOT))) {
          throw new CommandDeniedException("command refused: npm config '" + key + "' would run programs or write outside the app");
        }
      }
    }
  }
}
