package io.chatbuilder.store.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A host JVM that {@link KillHostTest} kills with SIGKILL mid-way: {@code run} starts a chat whose
 * run writes files over several model turns, {@code undo} undoes a change of many files. It prints
 * what it is about to do, so the parent knows when to kill it.
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
    String message = args.length > 5 ? args[5] : "";
    PrintStream out = System.out;
    JdbcStores stores = JdbcStores.builder(dataSource(database)).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build();
    Sandbox sandbox = LocalSandbox.builder(dir).id(app).build();
    try (ChatBuilder builder = builder(stores, sandbox, "victim").leaseTtl(TTL).build()) {
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
}
