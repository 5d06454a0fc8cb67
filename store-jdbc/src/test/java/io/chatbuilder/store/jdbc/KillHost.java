package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A host JVM that {@link KillHostTest} kills with SIGKILL mid-way: {@code run} starts a chat whose
 * run writes files over several model turns, {@code undo} undoes a change of many files. It prints
 * {@code ready} once it is up, waits for {@code go <message>} on stdin, then prints what it is about
 * to do, so the parent knows when to kill it.
 */
public final class KillHost {
  static final Duration TTL = Duration.ofSeconds(1);
  static final int RUN_STEPS = 6;

  private KillHost() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String database = args[1];
    String prefix = args[2];
    String app = args[3];
    Path dir = Path.of(args[4]);
    // A host that is not killed (the undo test's calibration) may hold a long lease: under load a
    // 1 s lease can lapse during a 2,000-file undo, which would fail the measurement, not the test.
    Duration ttl = args.length > 5 ? Duration.ofMillis(Long.parseLong(args[5])) : TTL;
    PrintStream out = System.out;
    JdbcStores stores = JdbcStores.builder(dataSource(database)).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build();
    Sandbox sandbox = LocalSandbox.builder(dir).id(app).build();
    try (ChatBuilder builder = builder(stores, sandbox, "victim").leaseTtl(ttl).build()) {
      // Started ahead of its round (the JVM's start overlaps the previous round's checks), this host
      // touches the app only once told: "go <message>" on stdin; end of input ends it untouched.
      out.println("ready");
      out.flush();
      String go = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (go == null || !go.startsWith("go")) {
        return;
      }
      String message = go.length() > 3 ? go.substring(3) : "";
      if (mode.equals("run")) {
        RunHandle run = builder.chat(app, message);
        out.println("started " + run.runId());
        out.flush();
        out.println("finished " + run.completion().get(60, TimeUnit.SECONDS).outcome().wireName());
      } else {
        out.println("undoing");
        out.flush();
        try {
          out.println("undone " + builder.undo(app).id());
        } catch (NothingToDoException e) {
          out.println("nothing");
        }
      }
      out.flush();
    }
  }

  static SimpleDataSource dataSource(String database) {
    return "postgresql".equals(database)
        ? new SimpleDataSource(TestDatabases.POSTGRES_URL, "postgres", "")
        : new SimpleDataSource(TestDatabases.MARIADB_URL, "root", "");
  }

  /**
   * Hosts' common setup: each run writes {@code <message>-<k>.txt} in {@link #RUN_STEPS} turns (text
   * streamed in small chunks), so it is mid-run most of its time; {@code rewrite_all} rewrites every
   * file of the app in one tool call (the change the undo test undoes).
   */
  static ChatBuilder.Builder builder(JdbcStores stores, Sandbox sandbox, String hostId) {
    ScriptedModel model = ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      String text = "";
      int results = 0;
      for (ChatMessage m : messages) {
        if (m instanceof ChatMessage.User u) {
          text = u.text();
          results = 0;
        } else if (m instanceof ChatMessage.ToolResult) {
          results++;
        }
      }
      if (text.startsWith("rewrite all")) {
        return Optional.of(results == 0
            ? ScriptedModel.Turn.builder().toolCall("rewrite_all", "{\"version\":\"" + text.substring(12) + "\"}").build()
            : ScriptedModel.Turn.builder().text("done").build());
      }
      if (results >= RUN_STEPS) {
        return Optional.of(ScriptedModel.Turn.builder().text("all written").build());
      }
      return Optional.of(ScriptedModel.Turn.builder().text("writing part " + results + " ").text("of it").chunkDelay(Duration.ofMillis(15))
          .toolCall("write_file", "{\"path\":\"" + text + "-" + results + ".txt\",\"content\":\"by " + text + "\"}").build());
    });
    // The surviving host's own lease is long: only the killed host's short ttl is what the test waits for.
    return ChatBuilder.builder().hostId(hostId).model(model).sandboxes(id -> sandbox).leaseTtl(Duration.ofSeconds(15))
        .checkpointStore(stores.checkpointStore()).conversationStore(stores.conversationStore()).eventLog(stores.eventLog())
        .tool(rewriteAll());
  }

  static final int FILES = 2_000;

  private static Tool rewriteAll() {
    JsonCodec json = new JsonCodec();
    ObjectNode schema = json.objectNode().put("type", "object");
    schema.putObject("properties").putObject("version").put("type", "string");
    return new Tool() {
      @Override
      public ToolDefinition definition() {
        return new ToolDefinition("rewrite_all", "rewrites every file", schema);
      }

      @Override
      public ToolResult execute(ToolContext context, ObjectNode arguments) {
        String version = arguments.path("version").asText();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
          String path = "src/d" + (i % 20) + "/f" + i + ".txt";
          context.sandbox().write(path, content(version, i));
          paths.add(path);
        }
        return new ToolResult("rewrote " + FILES + " files", "rewrote", paths, false);
      }
    };
  }

  static byte[] content(String version, int i) {
    return (version + " of file " + i + "\n").repeat(8).getBytes(StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ the parent's side

  /** Nothing lost, nothing stale, nothing left behind (no temp files of killed writes). */
  static void assertWorkspaceEqualsHead(CheckpointStore store, Checkpoint head, Path dir) throws Exception {
    Map<String, String> expected = new TreeMap<>();
    store.revision(head.resultRevisionId()).files().forEach((path, ref) -> expected.put(path, ref.blobId()));
    Map<String, String> actual = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        actual.put(dir.relativize(p).toString().replace('\\', '/'), store.blobIdOf(Files.readAllBytes(p)));
      }
    }
    Set<String> extra = new java.util.TreeSet<>(actual.keySet());
    extra.removeAll(expected.keySet());
    Set<String> missing = new java.util.TreeSet<>(expected.keySet());
    missing.removeAll(actual.keySet());
    assertThat(extra).as("files in the workspace but not in the head").isEmpty();
    assertThat(missing).as("files of the head missing in the workspace").isEmpty();
    List<String> differing = expected.keySet().stream().filter(p -> !expected.get(p).equals(actual.get(p))).limit(5).toList();
    assertThat(differing).as("files whose content differs from the head").isEmpty();
  }

  static <T> T untilFree(Callable<T> action) throws Exception {
    long deadline = System.nanoTime() + TTL.multipliedBy(10).toNanos();
    while (true) {
      try {
        return action.call();
      } catch (BusyException e) {
        // The dead host's lease lapses within its ttl; until then the app is rightly busy.
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the killed host's lease did not lapse", e);
        }
        Thread.sleep(25);
      }
    }
  }

  /** A child host JVM and its output. */
  static final class Child {
    final Process process;
    final BufferedReader out;
    final Path err;

    private Child(Process process, Path err) {
      this.process = process;
      this.err = err;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static Child start(Path tmp, String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", KillHost.class.getName()));
      command.addAll(List.of(args));
      Path err = Files.createTempFile(tmp, "child", ".err"); // two children can be alive at once
      return new Child(new ProcessBuilder(command).redirectError(err.toFile()).start(), err);
    }

    /** Waits until the host is up, then lets it act on the app. */
    void go(String message) throws Exception {
      await("ready");
      process.getOutputStream().write(("go " + message + "\n").getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    }

    String await(String prefix) throws Exception {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      throw new AssertionError("the child ended before printing '" + prefix + "': " + Files.readString(err));
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
