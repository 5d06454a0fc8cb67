package io.chatbuilder.core.sandbox;

import io.chatbuilder.core.CommandDeniedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides which commands a sandbox may run and how: allowed and denied programs (deny always wins),
 * argument rules, whether a shell or the network is allowed, time and output limits, and the
 * environment allowlist. Immutable; build with {@link #builder()}.
 *
 * <p>The policy decides what may be started; it is not a container. Allowed programs such as
 * {@code node} can run arbitrary code, so the real containment is the sandbox's isolation (e.g.
 * bubblewrap in {@code sandbox-local}: only the app directory writable, no host secrets).
 *
 * <p>Commands never go through a shell unless {@link Builder#allowShell} is set, so shell syntax
 * inside arguments ({@code &&}, {@code ;}, {@code |}, {@code $()}, backticks, redirects, newlines)
 * would not run anyway; it is refused so the agent learns at once that it does not work.
 */
public final class CommandPolicy {
  /** Programs a Vite app needs. */
  public static final Set<String> DEFAULT_ALLOWED = Set.of("node", "npm", "npx", "vite");

  /**
   * Programs that run other programs or reach outside the sandbox; denied even if a host adds them
   * to the allowlist by mistake, unless it removes them from the deny list explicitly.
   */
  public static final Set<String> DEFAULT_DENIED = Set.of(
      "sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox", "env", "sudo", "su",
      "doas", "pkexec", "time", "timeout", "nice", "ionice", "nohup", "setsid", "stdbuf", "chroot",
      "xargs", "parallel", "watch", "script", "strace", "ltrace", "gdb", "eval", "exec", "command",
      "builtin", "ssh", "scp", "sftp", "rsync", "nc", "ncat", "netcat", "socat", "telnet", "curl",
      "wget", "python", "python3", "perl", "ruby", "php", "lua", "rm", "dd", "mkfs", "mount",
      "chmod", "chown", "ln", "docker", "kubectl", "systemctl", "crontab", "at", "awk", "gawk", "mawk", "sed", "vi",
      "vim", "less", "more", "make", "nsenter", "unshare", "capsh", "setpriv");

  /** Environment variables passed through from the sandbox's base environment. */
  public static final Set<String> DEFAULT_ENVIRONMENT = Set.of(
      "PATH", "LANG", "LC_ALL", "TZ", "TERM", "NODE_ENV", "CI", "NO_COLOR", "FORCE_COLOR",
      "npm_config_cache", "npm_config_registry", "VITE_PORT", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
      "http_proxy", "https_proxy", "no_proxy", "NODE_EXTRA_CA_CERTS");

  /** Hosts commands may reach by default (through the sandbox's egress proxy): the npm registry. */
  public static final Set<String> DEFAULT_ALLOWED_HOSTS = Set.of("registry.npmjs.org");

  private static final List<String> SHELL_SYNTAX = List.of(
      "&&", "||", ";", "|", "`", "$(", "${", ">", "<", "\n", "\r", "&");

  private final Set<String> allowedPrograms;
  private final Set<String> deniedPrograms;
  private final List<ArgumentRule> argumentRules;
  private final boolean allowShell;
  private final boolean allowNetwork;
  private final Set<String> allowedHosts;
  private final ResourceLimits limits;
  private final Duration defaultTimeout;
  private final Duration maxTimeout;
  private final long outputLimitBytes;
  private final Set<String> environmentAllowlist;
  private final Map<String, String> fixedEnvironment;

  private CommandPolicy(Builder b) {
    this.allowedPrograms = Set.copyOf(b.allowedPrograms);
    this.deniedPrograms = Set.copyOf(b.deniedPrograms);
    this.argumentRules = List.copyOf(b.argumentRules);
    this.allowShell = b.allowShell;
    this.allowNetwork = b.allowNetwork;
    this.allowedHosts = Set.copyOf(b.allowedHosts);
    this.limits = b.limits;
    this.defaultTimeout = b.defaultTimeout;
    this.maxTimeout = b.maxTimeout;
    this.outputLimitBytes = b.outputLimitBytes;
    this.environmentAllowlist = Set.copyOf(b.environmentAllowlist);
    this.fixedEnvironment = Map.copyOf(b.fixedEnvironment);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The default policy: node, npm, npx and vite; no shell; no network but HTTPS to the npm registry
   * ({@link #DEFAULT_ALLOWED_HOSTS}) through the sandbox's proxy; {@link ResourceLimits#DEFAULTS}.
   */
  public static CommandPolicy defaults() {
    return builder().build();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.allowedPrograms = new TreeSet<>(allowedPrograms);
    b.deniedPrograms = new TreeSet<>(deniedPrograms);
    b.argumentRules = new ArrayList<>(argumentRules);
    b.allowShell = allowShell;
    b.allowNetwork = allowNetwork;
    b.allowedHosts = new TreeSet<>(allowedHosts);
    b.limits = limits;
    b.defaultTimeout = defaultTimeout;
    b.maxTimeout = maxTimeout;
    b.outputLimitBytes = outputLimitBytes;
    b.environmentAllowlist = new TreeSet<>(environmentAllowlist);
    b.fixedEnvironment = new TreeMap<>(fixedEnvironment);
    return b;
  }

  /**
   * Checks an argument vector; returns the program's name on success.
   *
   * @throws CommandDeniedException with the reason when the policy refuses it
   */
  public String check(List<String> argv) {
    Objects.requireNonNull(argv, "argv == null");
    if (argv.isEmpty() || argv.get(0).isBlank()) {
      throw new CommandDeniedException("command refused: it is empty");
    }
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new CommandDeniedException("command refused: an argument contains a NUL byte");
      }
    }
    String program = programName(argv.get(0));
    String lower = program.toLowerCase(Locale.ROOT);
    boolean shell = isShell(lower);
    if (deniedPrograms.contains(lower) && !(shell && allowShell)) {
      throw new CommandDeniedException("command refused: '" + program + "' is denied by the command policy");
    }
    // Allow by exact name (program names are case-sensitive); deny by any case (case-insensitive file systems).
    if (!allowedPrograms.contains(program) && !(shell && allowShell)) {
      throw new CommandDeniedException("command refused: '" + program + "' is not an allowed program (allowed: "
          + String.join(", ", new TreeSet<>(allowedPrograms)) + ")");
    }
    List<String> args = argv.subList(1, argv.size());
    if (!allowShell) {
      for (String arg : args) {
        for (String syntax : SHELL_SYNTAX) {
          if (arg.contains(syntax)) {
            throw new CommandDeniedException("command refused: argument " + quote(arg) + " contains shell syntax '"
                + printable(syntax) + "'; commands run as an argument vector without a shell, run one program per call");
          }
        }
      }
    }
    for (ArgumentRule rule : builtInRules()) {
      rule.check(lower, args).ifPresent(reason -> {
        throw new CommandDeniedException("command refused: " + reason);
      });
    }
    for (ArgumentRule rule : argumentRules) {
      rule.check(lower, args).ifPresent(reason -> {
        throw new CommandDeniedException("command refused: " + reason);
      });
    }
    return program;
  }

  /**
   * The program name of {@code argv[0]}. Paths to programs are refused, except the app's own
   * {@code node_modules/.bin/<name>} (checked by name against the allowlist afterwards), so an
   * absolute path cannot smuggle in a program from outside the allowlist.
   */
  private static String programName(String first) {
    if (first.indexOf('/') < 0 && first.indexOf('\\') < 0) {
      return first;
    }
    String normalized = first.startsWith("./") ? first.substring(2) : first;
    if (normalized.startsWith("node_modules/.bin/") && normalized.indexOf('/', "node_modules/.bin/".length()) < 0
        && !normalized.contains("..")) {
      return normalized.substring("node_modules/.bin/".length());
    }
    throw new CommandDeniedException("command refused: program paths are not allowed ('" + first
        + "'); name the program, e.g. 'npm'");
  }

  private static boolean isShell(String program) {
    return Set.of("sh", "bash", "dash", "zsh").contains(program);
  }

  private static List<ArgumentRule> builtInRules() {
    return BUILT_IN_RULES;
  }

  private static final List<ArgumentRule> BUILT_IN_RULES = List.of(
      (program, args) -> {
        if (!program.equals("npm") && !program.equals("npx")) {
          return Optional.empty();
        }
        for (String arg : args) {
          if (arg.equals("-c") || arg.equals("--call") || arg.startsWith("--call=")
              || arg.startsWith("--script-shell") || arg.startsWith("--shell")) {
            return Optional.of(program + " " + arg + " runs a shell command; name the program instead");
          }
          if (arg.equals("-g") || arg.equals("--global") || arg.startsWith("--global=") || arg.startsWith("--location")
              || arg.startsWith("--prefix") || arg.startsWith("--userconfig") || arg.startsWith("--globalconfig")) {
            return Optional.of(program + " " + arg + " installs or configures outside the app; install into the app instead");
          }
        }
        return Optional.empty();
      },
      (program, args) -> {
        if (!program.equals("node")) {
          return Optional.empty();
        }
        for (int i = 0; i < args.size(); i++) {
          String arg = args.get(i);
          boolean preload = arg.equals("-r") || arg.equals("--require") || arg.equals("--import") || arg.equals("--loader")
              || arg.equals("--experimental-loader");
          String value = preload && i + 1 < args.size() ? args.get(i + 1)
              : arg.startsWith("--require=") || arg.startsWith("--import=") || arg.startsWith("--loader=")
                  || arg.startsWith("--experimental-loader=") ? arg.substring(arg.indexOf('=') + 1) : null;
          if (value != null && (value.startsWith("/") || value.contains("..") || value.startsWith("file:"))) {
            return Optional.of("node " + arg + " loads code from outside the app: " + value);
          }
        }
        return Optional.empty();
      },
      (program, args) -> {
        if (!program.equals("git")) {
          return Optional.empty();
        }
        for (String arg : args) {
          if (arg.equals("-c") || arg.startsWith("--config") || arg.startsWith("--exec-path")
              || arg.startsWith("--upload-pack") || arg.startsWith("--receive-pack") || arg.equals("-C")) {
            return Optional.of("git " + arg + " can run arbitrary programs or leave the sandbox");
          }
        }
        return Optional.empty();
      },
      (program, args) -> {
        if (!program.equals("find")) {
          return Optional.empty();
        }
        for (String arg : args) {
          if (arg.equals("-exec") || arg.equals("-execdir") || arg.equals("-ok") || arg.equals("-okdir")
              || arg.equals("-delete") || arg.startsWith("-fprint") || arg.equals("-fls")) {
            return Optional.of("find " + arg + " runs or changes things outside the policy");
          }
        }
        return Optional.empty();
      });

  public Set<String> allowedPrograms() {
    return allowedPrograms;
  }

  public Set<String> deniedPrograms() {
    return deniedPrograms;
  }

  public boolean allowShell() {
    return allowShell;
  }

  /**
   * Whether processes share the host's network without restriction (off by default: an explicit
   * choice of the host, since app code then reaches every service on the host's loopback).
   */
  public boolean allowNetwork() {
    return allowNetwork;
  }

  /**
   * Hosts that processes may reach over HTTP(S) through the sandbox's egress proxy when
   * {@link #allowNetwork()} is off; lowercase names, a leading {@code *.} matches subdomains.
   * Empty: no network at all.
   */
  public Set<String> allowedHosts() {
    return allowedHosts;
  }

  /** Whether {@code host} is one of {@link #allowedHosts()} (case-insensitive, {@code *.} wildcards). */
  public boolean hostAllowed(String host) {
    String h = Objects.requireNonNull(host, "host == null").toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    for (String allowed : allowedHosts) {
      if (allowed.startsWith("*.") ? h.endsWith(allowed.substring(1)) && h.length() > allowed.length() - 1 : h.equals(allowed)) {
        return true;
      }
    }
    return false;
  }

  /** Process, memory, CPU and disk limits of the sandbox's processes. */
  public ResourceLimits limits() {
    return limits;
  }

  public Duration defaultTimeout() {
    return defaultTimeout;
  }

  public Duration maxTimeout() {
    return maxTimeout;
  }

  /** The timeout a request gets: its own, capped at {@link #maxTimeout()}, or the default. */
  public Duration timeoutFor(CommandRequest request) {
    Duration requested = request.timeout().orElse(defaultTimeout);
    if (requested.isNegative() || requested.isZero()) {
      requested = defaultTimeout;
    }
    return requested.compareTo(maxTimeout) > 0 ? maxTimeout : requested;
  }

  public long outputLimitBytes() {
    return outputLimitBytes;
  }

  public Set<String> environmentAllowlist() {
    return environmentAllowlist;
  }

  /** Variables every command gets regardless of the host (e.g. {@code CI=1}). */
  public Map<String, String> fixedEnvironment() {
    return fixedEnvironment;
  }

  /**
   * The environment a command gets: allowlisted variables from {@code base}, {@code VITE_*}
   * variables from the request (nothing else of the host or the agent reaches a command), then the
   * fixed ones.
   */
  public Map<String, String> environmentFor(Map<String, String> base, CommandRequest request) {
    Map<String, String> env = new TreeMap<>();
    base.forEach((k, v) -> {
      if (environmentAllowlist.contains(k)) {
        env.put(k, v);
      }
    });
    // The agent may only set the app's own build variables, never loader or path variables.
    request.environment().forEach((k, v) -> {
      if (k.startsWith("VITE_") && k.length() > 5) {
        env.put(k, v);
      }
    });
    env.putAll(fixedEnvironment);
    return env;
  }

  private static String quote(String arg) {
    String shown = arg.length() > 80 ? arg.substring(0, 80) + "…" : arg;
    return "'" + printable(shown) + "'";
  }

  private static String printable(String s) {
    return s.replace("\n", "\\n").replace("\r", "\\r");
  }

  /** An extra rule on a program's arguments; returns the reason to refuse, or empty to allow. */
  @FunctionalInterface
  public interface ArgumentRule {
    Optional<String> check(String program, List<String> args);
  }

  /** Builds a {@link CommandPolicy}. Starts from the defaults. */
  public static final class Builder {
    private Set<String> allowedPrograms = new TreeSet<>(DEFAULT_ALLOWED);
    private Set<String> deniedPrograms = new TreeSet<>(DEFAULT_DENIED);
    private List<ArgumentRule> argumentRules = new ArrayList<>();
    private boolean allowShell;
    private boolean allowNetwork;
    private Set<String> allowedHosts = new TreeSet<>(DEFAULT_ALLOWED_HOSTS);
    private ResourceLimits limits = ResourceLimits.DEFAULTS;
    private Duration defaultTimeout = Duration.ofMinutes(2);
    private Duration maxTimeout = Duration.ofMinutes(10);
    private long outputLimitBytes = 256 * 1024;
    private Set<String> environmentAllowlist = new TreeSet<>(DEFAULT_ENVIRONMENT);
    private Map<String, String> fixedEnvironment = new TreeMap<>(Map.of("CI", "1", "NO_COLOR", "1", "npm_config_ignore_scripts", "true"));

    private Builder() {}

    /** Adds programs (by name) to the allowlist. */
    public Builder allow(String... programs) {
      return allow(List.of(programs));
    }

    public Builder allow(Collection<String> programs) {
      for (String p : programs) {
        allowedPrograms.add(Objects.requireNonNull(p, "program == null"));
      }
      return this;
    }

    /** Removes programs from the allowlist (e.g. to drop {@code npx} from the defaults). */
    public Builder disallow(String... programs) {
      for (String p : programs) {
        allowedPrograms.remove(Objects.requireNonNull(p, "program == null"));
      }
      return this;
    }

    /** Stops passing these host environment variables to commands. */
    public Builder withholdEnvironment(String... names) {
      environmentAllowlist.removeAll(List.of(names));
      return this;
    }

    /** Adds programs to the deny list; deny always wins over allow. */
    public Builder deny(String... programs) {
      for (String p : programs) {
        deniedPrograms.add(Objects.requireNonNull(p, "program == null").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /** Removes programs from the deny list (they still need to be allowed). */
    public Builder undeny(String... programs) {
      for (String p : programs) {
        deniedPrograms.remove(p.toLowerCase(Locale.ROOT));
      }
      return this;
    }

    public Builder argumentRule(ArgumentRule rule) {
      argumentRules.add(Objects.requireNonNull(rule, "rule == null"));
      return this;
    }

    /** Allows {@code sh}/{@code bash} and shell syntax in arguments. Off by default. */
    public Builder allowShell(boolean allowShell) {
      this.allowShell = allowShell;
      return this;
    }

    /**
     * Shares the host's whole network with the sandbox's processes (off by default). Prefer
     * {@link #allowHosts}: with the host network, app code reaches every service on the host.
     */
    public Builder allowNetwork(boolean allowNetwork) {
      this.allowNetwork = allowNetwork;
      return this;
    }

    /** Adds hosts reachable through the egress proxy ({@code example.com} or {@code *.example.com}). */
    public Builder allowHosts(String... hosts) {
      for (String h : hosts) {
        String host = Objects.requireNonNull(h, "host == null").toLowerCase(Locale.ROOT);
        if (!host.matches("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
          throw new IllegalArgumentException("not a host name: " + h);
        }
        allowedHosts.add(host);
      }
      return this;
    }

    /** Removes every allowed host: no network at all (installs then work only from the npm cache). */
    public Builder denyAllHosts() {
      allowedHosts.clear();
      return this;
    }

    public Builder limits(ResourceLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits == null");
      return this;
    }

    public Builder defaultTimeout(Duration timeout) {
      this.defaultTimeout = positive(timeout, "defaultTimeout");
      return this;
    }

    public Builder maxTimeout(Duration timeout) {
      this.maxTimeout = positive(timeout, "maxTimeout");
      return this;
    }

    public Builder outputLimitBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("outputLimitBytes must be >= 1024");
      }
      this.outputLimitBytes = bytes;
      return this;
    }

    public Builder passEnvironment(String... names) {
      environmentAllowlist.addAll(List.of(names));
      return this;
    }

    public Builder fixedEnvironment(String name, String value) {
      fixedEnvironment.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    public CommandPolicy build() {
      if (defaultTimeout.compareTo(maxTimeout) > 0) {
        throw new IllegalArgumentException("defaultTimeout exceeds maxTimeout");
      }
      return new CommandPolicy(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name + " == null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return d;
    }
  }
}
