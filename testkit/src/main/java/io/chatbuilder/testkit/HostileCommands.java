package io.chatbuilder.testkit;

import java.nio.file.Path;
import java.util.List;

/**
 * Argument vectors that try to get around a sandbox's command policy: shell syntax, wrapper
 * programs, program paths, npm/npx/git/find/vite tricks. Every one must be refused with
 * {@link io.chatbuilder.core.CommandDeniedException} before anything runs. Each sandbox
 * implementation (local, remote, third-party) runs them in its own adversarial test, so the list
 * lives here once.
 */
public final class HostileCommands {
  private HostileCommands() {}

  /** A named hostile command. */
  public record Bypass(String name, List<String> argv) {
    public Bypass {
      argv = List.copyOf(argv);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * The bypasses. {@code outside} is a directory outside the sandbox root; commands that would run
   * try to create {@code outside/PWNED}, so a test can also assert that nothing ran.
   */
  public static List<Bypass> bypasses(Path outside) {
    String m = outside.resolve("PWNED").toString();
    String touch = "require('fs').writeFileSync('" + m + "','x')";
    return List.of(
        new Bypass("and-list", List.of("npm", "run", "build", "&&", "node", "-e", touch)),
        new Bypass("semicolon", List.of("node", "-e", "1;" + touch)),
        new Bypass("pipe", List.of("node", "-e", "1", "|", "sh")),
        new Bypass("newline", List.of("node", "-e", "1\n" + touch)),
        new Bypass("command substitution", List.of("node", "$(touch " + m + ")")),
        new Bypass("backticks", List.of("node", "`touch " + m + "`")),
        new Bypass("redirect inside an argument", List.of("node", "-e", "1", ">" + m)),
        new Bypass("input redirect", List.of("node", "<" + m)),
        new Bypass("background", List.of("node", "-e", "1", "&")),
        new Bypass("env sh -c", List.of("env", "sh", "-c", "touch " + m)),
        new Bypass("/usr/bin/time rm", List.of("/usr/bin/time", "rm", "-rf", m)),
        new Bypass("time rm", List.of("time", "rm", "-rf", m)),
        new Bypass("find -exec", List.of("find", ".", "-exec", "touch", m, "+")),
        new Bypass("find -execdir", List.of("find", ".", "-execdir", "touch", "PWNED", "+")),
        new Bypass("find -delete", List.of("find", ".", "-delete")),
        new Bypass("git -c alias", List.of("git", "-c", "alias.x=!touch PWNED", "x")),
        new Bypass("git --config-env", List.of("git", "--config-env=alias.x=EVIL", "x")),
        new Bypass("git -C elsewhere", List.of("git", "-C", "/", "status")),
        new Bypass("absolute path to an allowed program", List.of("/usr/bin/node", "-e", touch)),
        new Bypass("absolute path to a shell", List.of("/bin/sh", "-c", "touch " + m)),
        new Bypass("relative path out of the root", List.of("../../../usr/bin/node", "-e", touch)),
        new Bypass("shell via node_modules/.bin", List.of("node_modules/.bin/sh", "-c", "touch " + m)),
        new Bypass("dot-slash program", List.of("./node", "-e", touch)),
        new Bypass("allowlisted shell: deny wins", List.of("bash", "-c", "touch " + m)),
        new Bypass("npm -c", List.of("npm", "exec", "-c", "touch " + m)),
        new Bypass("npx --call", List.of("npx", "--call=touch PWNED")),
        new Bypass("npx runs a denied program", List.of("npx", "rm", "-rf", "src")),
        new Bypass("npm exec runs a denied program", List.of("npm", "exec", "--", "sh", "evil.sh")),
        new Bypass("npm x runs a program by path", List.of("npm", "x", "bin/evil")),
        new Bypass("npm explore runs a shell", List.of("npm", "explore", "react", "--", "ls")),
        new Bypass("npm --script-shell", List.of("npm", "run", "build", "--script-shell=sh")),
        new Bypass("npm config set script-shell", List.of("npm", "config", "set", "script-shell", "sh")),
        new Bypass("npm install -g", List.of("npm", "install", "-g", "left-pad")),
        new Bypass("npm --prefix outside", List.of("npm", "install", "--prefix=" + outside, "left-pad")),
        new Bypass("npm -C outside", List.of("npm", "-C", "out", "install")),
        new Bypass("node script outside the root", List.of("node", m + ".js")),
        new Bypass("node script via ..", List.of("node", "../PWNED.js")),
        new Bypass("home directory", List.of("node", "~/.ssh/id_rsa")),
        new Bypass("vite writes outside", List.of("vite", "build", "--outDir", outside.toString())),
        new Bypass("vite --outDir=..", List.of("vite", "build", "--outDir=../www")),
        new Bypass("NUL byte", List.of("node", "-e", "1\u0000")),
        new Bypass("sudo", List.of("sudo", "node")),
        new Bypass("curl", List.of("curl", "-o", m, "http://example.com")),
        new Bypass("python", List.of("python3", "-c", "open('" + m + "','w')")),
        new Bypass("not allowed at all", List.of("touch", m)));
  }
}
