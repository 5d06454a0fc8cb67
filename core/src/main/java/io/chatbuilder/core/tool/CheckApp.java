package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.Sandbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code check_app} tool: builds the app the way it is published and type-checks it, inside the
 * app's sandbox ({@link Sandbox#run}, under the sandbox's command policy), and returns the errors
 * compactly as {@code file:line:col message}, deduplicated and capped.
 *
 * <ul>
 *   <li>the app's own {@code build} script ({@code npm run build}) when {@code package.json} has one,
 *       else {@code vite build} ({@code node node_modules/vite/bin/vite.js build});
 *   <li>for a TypeScript app (a {@code tsconfig.json} and {@code node_modules/typescript} installed),
 *       first {@code tsc --noEmit} ({@code tsc -b} for a tsconfig with project references), unless the
 *       build script runs {@code tsc} itself.
 * </ul>
 *
 * <p>It remembers the errors of each run's last check: the same errors again are marked as
 * {@link Check#repeated()}, and the model is told that its change did not fix them, so a run does
 * not loop on one error. Thread-safe.
 */
public final class CheckApp implements Tool {
  /** Errors returned at most; the rest are counted. */
  static final int MAX_ERRORS = 30;
  static final int MAX_ERROR_CHARS = 400;
  static final int MAX_CONTENT_CHARS = 8000;
  static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final JsonCodec JSON = new JsonCodec();
  private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");
  /** {@code src/App.tsx(5,7): error TS2322: Type ...} */
  private static final Pattern TSC = Pattern.compile("^(.+?)\\((\\d+),(\\d+)\\): error (TS\\d+): (.*)$");
  /** {@code src/App.tsx:5:7 - error TS2322: Type ...} (tsc --pretty) */
  private static final Pattern TSC_PRETTY = Pattern.compile("^(.+?):(\\d+):(\\d+) - error (TS\\d+): (.*)$");
  /** {@code src/main.js:3:10: ERROR: Expected ";"} (esbuild) */
  private static final Pattern ESBUILD = Pattern.compile("^(?:✘ \\[ERROR\\] )?(.+?):(\\d+):(\\d+): (?:ERROR|error): (.*)$");
  /** {@code [vite:react-babel] src/App.jsx: Unexpected token (5:2)} (Babel through Vite) */
  private static final Pattern BABEL = Pattern.compile("^(?:\\[[^\\]]+\\] )?([^\\s:]+\\.[A-Za-z]+): (.*?) \\((\\d+):(\\d+)\\)$");
  private static final Pattern TSC_IN_SCRIPT = Pattern.compile("(^|[\\s;&|(])(tsc|vue-tsc)(\\s|$)");
  private static final Pattern REFERENCES = Pattern.compile("\"references\"\\s*:");

  private final ToolDefinition definition = new ToolDefinition("check_app",
      "Build the app and type-check it (its build script or vite build, and tsc --noEmit for TypeScript) and "
          + "return the errors as file:line:col message. Run it after changing files and before you say you are done; "
          + "fix what it reports.",
      Schemas.object().build());
  /** The error fingerprint of each run's last check, newest runs kept. */
  private final Map<String, String> lastErrors = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > 256;
    }
  };

  /** What one check found. */
  public record Check(boolean passed, List<String> errors, int moreErrors, List<String> commands, boolean repeated) {
    public Check {
      errors = List.copyOf(errors);
      commands = List.copyOf(commands);
    }

    /** What the model is told. */
    public String report() {
      StringBuilder out = new StringBuilder();
      if (passed) {
        out.append("check passed: ").append(String.join(", ", commands)).append(" found no errors.\n");
        return out.toString();
      }
      out.append("check failed (").append(String.join(", ", commands)).append("): ")
          .append(errors.size() + moreErrors).append(errors.size() + moreErrors == 1 ? " error" : " errors").append('\n');
      for (String e : errors) {
        if (out.length() + e.length() > MAX_CONTENT_CHARS) {
          out.append("… more errors not shown\n");
          break;
        }
        out.append(e).append('\n');
      }
      if (moreErrors > 0) {
        out.append("… and ").append(moreErrors).append(" more\n");
      }
      if (repeated) {
        out.append("These are the same errors as your previous check_app in this run: your last change did not fix them. "
            + "Do not repeat the same fix; try a different approach, or stop and tell the person what is wrong.\n");
      }
      return out.toString();
    }
  }

  CheckApp() {}

  /** A new check_app tool (one per facade: it remembers each run's last result). */
  public static CheckApp create() {
    return new CheckApp();
  }

  @Override
  public ToolDefinition definition() {
    return definition;
  }

  @Override
  public ToolResult execute(ToolContext context, ObjectNode arguments) {
    Check check = check(context);
    String summary = check.passed() ? "no errors" : (check.errors().size() + check.moreErrors()) + " errors"
        + (check.repeated() ? " (same as the last check)" : "");
    // A build script may write files anywhere (tsc without noEmit writes .js next to the sources).
    return new ToolResult(check.report(), summary, List.of(), true);
  }

  /** Runs the checks in the context's sandbox. */
  public Check check(ToolContext context) {
    Sandbox sandbox = context.sandbox();
    FileContent pkg = sandbox.tryRead("package.json").orElseThrow(() -> new NotFoundException(
        "the app has no package.json: there is nothing to build"));
    JsonNode manifest;
    try {
      manifest = JSON.read(pkg.text().orElse(""));
    } catch (InvalidArgumentException e) {
      return remember(context, new Check(false, List.of("package.json:1:1 is not valid JSON: " + firstLine(e.getMessage())), 0,
          List.of("read package.json"), false));
    }
    Optional<String> buildScript = manifest == null ? Optional.empty()
        : Optional.ofNullable(manifest.path("scripts").get("build")).filter(JsonNode::isTextual).map(JsonNode::asText);
    String root = root(context);
    List<String> commands = new ArrayList<>();
    LinkedHashSet<String> errors = new LinkedHashSet<>();
    boolean passed = true;
    // a build script that runs tsc type-checks already
    boolean typescript = sandbox.tryRead("tsconfig.json").isPresent()
        && buildScript.filter(s -> TSC_IN_SCRIPT.matcher(s).find()).isEmpty();
    boolean tscInstalled = typescript && exists(context, "node_modules/typescript/bin/tsc");
    if (tscInstalled) {
      String config = sandbox.tryRead("tsconfig.json").flatMap(FileContent::text).orElse("");
      List<String> argv = REFERENCES.matcher(config).find()
          ? List.of("node", "node_modules/typescript/bin/tsc", "-b")
          : List.of("node", "node_modules/typescript/bin/tsc", "--noEmit");
      commands.add(argv.contains("-b") ? "tsc -b" : "tsc --noEmit");
      passed &= run(context, argv, root, errors);
    }
    if (buildScript.isPresent()) {
      commands.add("npm run build");
      passed &= run(context, List.of("npm", "run", "build"), root, errors);
    } else if (exists(context, "node_modules/vite/bin/vite.js")) {
      commands.add("vite build");
      passed &= run(context, List.of("node", "node_modules/vite/bin/vite.js", "build"), root, errors);
    } else {
      commands.add("vite build");
      errors.add("vite is not installed (node_modules/vite is missing): run npm install, or add vite to devDependencies");
      passed = false;
    }
    if (typescript && !tscInstalled) {
      commands.add("tsc skipped: typescript is not installed");
    }
    List<String> shown = new ArrayList<>();
    int more = 0;
    for (String e : errors) {
      if (shown.size() < MAX_ERRORS) {
        shown.add(e);
      } else {
        more++;
      }
    }
    if (!passed && shown.isEmpty()) {
      shown.add("the check failed without an error message the tool could read");
    }
    return remember(context, new Check(passed, passed ? List.of() : shown, passed ? 0 : more, commands, false));
  }

  private Check remember(ToolContext context, Check check) {
    String fingerprint = check.passed() ? "" : String.join("\n", check.errors()) + "\n+" + check.moreErrors();
    String previous;
    synchronized (lastErrors) {
      previous = lastErrors.put(context.runId(), fingerprint);
    }
    boolean repeated = !check.passed() && fingerprint.equals(previous);
    return repeated ? new Check(false, check.errors(), check.moreErrors(), check.commands(), true) : check;
  }

  /** Where the app's root is inside the sandbox, to make the tools' absolute paths relative. */
  private static String root(ToolContext context) {
    CommandResult r = context.sandbox().run(CommandRequest.of("node", "-p", "process.cwd()").withTimeout(Duration.ofSeconds(30)),
        CommandListener.NONE, context.cancellation());
    context.cancellation().throwIfCancelled();
    String cwd = r.stdout().strip();
    return r.succeeded() && cwd.startsWith("/") && cwd.length() > 1 ? cwd : "";
  }

  private static boolean exists(ToolContext context, String path) {
    // node_modules is excluded from the sandbox's file API; ask inside the sandbox
    CommandResult r = context.sandbox().run(CommandRequest.of("node", "-e",
        "process.exit(require('fs').existsSync(process.argv[1]) ? 0 : 1)", path).withTimeout(Duration.ofSeconds(30)),
        CommandListener.NONE, context.cancellation());
    context.cancellation().throwIfCancelled();
    return r.succeeded();
  }

  private static boolean run(ToolContext context, List<String> argv, String root, LinkedHashSet<String> errors) {
    context.status("check_app: " + String.join(" ", argv));
    CommandResult r = context.sandbox().run(new CommandRequest(argv, "", Map.of(), Optional.of(TIMEOUT)),
        CommandListener.NONE, context.cancellation());
    context.cancellation().throwIfCancelled();
    String name = argv.get(0).equals("node") ? argv.get(1).replaceAll(".*/", "") : argv.get(0);
    if (r.timedOut()) {
      errors.add(name + " did not finish within " + TIMEOUT.toMinutes() + " minutes");
      return false;
    }
    List<String> found = errors(r.stdout() + "\n" + r.stderr(), root);
    if (r.succeeded()) {
      return true;
    }
    if (found.isEmpty()) {
      found = tail(clean(r.stderr().isBlank() ? r.stdout() : r.stderr(), root), name, r.exitCode());
    }
    errors.addAll(found);
    return false;
  }

  /** The errors in a tool's output, as {@code file:line:col message}, in order, without duplicates. */
  static List<String> errors(String output, String root) {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    String[] lines = clean(output, root).split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      Matcher m;
      if ((m = TSC.matcher(line)).matches() || (m = TSC_PRETTY.matcher(line)).matches()) {
        out.add(cap(m.group(1) + ":" + m.group(2) + ":" + m.group(3) + " " + m.group(4) + " " + m.group(5)));
      } else if ((m = ESBUILD.matcher(line)).matches()) {
        out.add(cap(m.group(1) + ":" + m.group(2) + ":" + m.group(3) + " " + m.group(4)));
      } else if ((m = BABEL.matcher(line)).matches()) {
        out.add(cap(m.group(1) + ":" + m.group(3) + ":" + (Integer.parseInt(m.group(4)) + 1) + " " + m.group(2)));
      } else if (line.equals("error during build:") && i + 1 < lines.length) {
        // Vite's own report: the next lines say what failed; keep them unless a located error says it
        StringBuilder what = new StringBuilder();
        for (int j = i + 1; j < lines.length && j <= i + 3 && !lines[j].strip().startsWith("at "); j++) {
          if (!lines[j].isBlank()) {
            what.append(what.length() > 0 ? " " : "").append(lines[j].strip());
          }
        }
        if (what.length() > 0) {
          out.add(cap(what.toString()));
        }
      }
    }
    // A located error makes Vite's summary of it redundant
    List<String> located = out.stream().filter(e -> e.matches("^[^\\s:]+:\\d+:\\d+ .*")).toList();
    return located.isEmpty() ? List.copyOf(out) : located;
  }

  private static List<String> tail(String output, String name, int exitCode) {
    List<String> lines = new ArrayList<>();
    for (String l : output.split("\n")) {
      if (!l.isBlank() && !l.strip().startsWith("at ")) {
        lines.add(l.strip());
      }
    }
    String last = String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    return List.of(cap(name + " exited with code " + exitCode + (last.isEmpty() ? "" : ": " + last)));
  }

  private static String clean(String s, String root) {
    String t = ANSI.matcher(s).replaceAll("").replace("\r", "");
    if (!root.isEmpty()) {
      t = t.replace("file://" + root + "/", "").replace(root + "/", "").replace(root, ".");
    }
    return t;
  }

  private static String cap(String s) {
    return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS - 1) + "…" : s;
  }

  private static String firstLine(String s) {
    String t = Objects.requireNonNullElse(s, "");
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }
}
