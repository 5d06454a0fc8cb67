package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.ForwardingCheckpointStore;
import io.chatbuilder.core.checkpoint.ForwardingLeaseStore;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;

/**
 * One host JVM of {@link TwoHostLeaseTest}: a {@link ChatBuilder} on the shared database, with a
 * workspace of its own (in memory) or a directory both hosts share. On each {@code round N} line from the parent it sends one chat and one
 * undo for the shared app, and prints what happened to each.
 *
 * <p>To see overlaps without trusting clocks, every lease this host takes is marked by creating a
 * file (atomically, {@code CREATE_NEW}) in a directory both hosts share, right after the lease is
 * granted, and the file is deleted right before the lease is given back: if two holders' leases
 * ever overlapped, the second creation fails and the host prints {@code overlap}.
 */
public final class LeaseHost {
  private LeaseHost() {}

  public static void main(String[] args) throws Exception {
    String database = args[0];
    String prefix = args[1];
    String app = args[2];
    String hostId = args[3];
    Path marks = Path.of(args[4]);
    Optional<Path> shared = args[5].equals("own") ? Optional.empty() : Optional.of(Path.of(args[5]));
    PrintStream out = System.out;
    SimpleDataSource dataSource = "postgresql".equals(database)
        ? new SimpleDataSource(TestDatabases.POSTGRES_URL, "postgres", "")
        : new SimpleDataSource(TestDatabases.MARIADB_URL, "root", "");
    JdbcStores stores = JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build();
    Marked store = new Marked(stores.checkpointStore(), stores.leaseStore(), marks.resolve(app), out);
    // Either one directory both hosts work in, or a workspace of this host's own.
    Sandbox workspace = shared.<Sandbox>map(dir -> new DirectorySandbox(app, dir))
        .orElseGet(() -> InMemorySandbox.builder(app).build());
    // Each run writes its own message into work.txt, so the parent can tell whose work a checkpoint holds.
    ScriptedModel model = ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      if (messages.get(messages.size() - 1) instanceof ChatMessage.ToolResult) {
        return Optional.of(ScriptedModel.Turn.builder().text("done").build());
      }
      String text = "";
      for (ChatMessage m : messages) {
        if (m instanceof ChatMessage.User u) {
          text = u.text();
        }
      }
      return Optional.of(ScriptedModel.Turn.builder().text("writing it ").text("now").chunkDelay(Duration.ofMillis(5))
          .toolCall("write_file", "{\"path\":\"work.txt\",\"content\":\"" + text + "\"}").build());
    });
    try (ChatBuilder builder = ChatBuilder.builder().hostId(hostId).model(model).sandboxes(id -> workspace)
        .checkpointStore(store).conversationStore(stores.conversationStore()).eventLog(stores.eventLog()).build()) {
      out.println("ready");
      out.flush();
      java.util.Random random = new java.util.Random();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null && (line.startsWith("round ") || line.equals("final")); ) {
        if (line.equals("final")) {
          // Bring this host's workspace up to the head (a fast-forward if the other host moved it)
          // and show what it holds, so the parent can check that no host's files were lost.
          builder.initialize(app);
          java.util.SortedMap<String, String> files = new java.util.TreeMap<>();
          for (String path : workspace.files().keySet()) {
            files.put(path, stores.checkpointStore().blobIdOf(workspace.read(path).bytes()));
          }
          out.println("files " + files);
          out.flush();
          continue;
        }
        int round = Integer.parseInt(line.substring("round ".length()));
        // Random small delays so that either host may win, and chats meet undos in every order.
        try {
          Thread.sleep(random.nextInt(40));
          chat(builder, workspace, app, "r" + round + "-" + hostId, out);
          Thread.sleep(random.nextInt(40));
          undo(builder, workspace, app, out);
        } catch (RuntimeException e) {
          out.println("error " + e.toString().replace('\n', ' '));
        }
        out.println("done " + round);
        out.flush();
      }
    }
  }

  private static void chat(ChatBuilder builder, Sandbox workspace, String app, String message, PrintStream out)
      throws Exception {
    Object before = touchStamp(workspace);
    RunHandle run;
    try {
      run = builder.chat(app, message);
    } catch (BusyException e) {
      busy("chat", builder, workspace, app, before, e, out);
      return;
    }
    RunResult result = run.completion().get(60, TimeUnit.SECONDS);
    out.println("chat " + result.outcome().wireName() + " " + run.runId() + " " + message + " "
        + result.checkpoint().map(Checkpoint::id).orElse("-") + " " + result.errorCode().map(c -> c.wireName()).orElse("-"));
    if (result.errorCode().filter(c -> c == io.chatbuilder.core.ErrorCode.CONFLICT).isPresent()) {
      resync(builder, app, out);
    }
  }

  private static void undo(ChatBuilder builder, Sandbox workspace, String app, PrintStream out) {
    Object before = touchStamp(workspace);
    try {
      out.println("undo ok " + builder.undo(app).id());
    } catch (BusyException e) {
      busy("undo", builder, workspace, app, before, e, out);
    } catch (NothingToDoException e) {
      out.println("undo nothing");
    } catch (ConflictException e) {
      out.println("undo conflict");
      resync(builder, app, out);
    }
  }

  /**
   * What changes when this host touches its workspace: the files of a workspace of its own, the
   * count of this host's own writes to a shared one (the other host may be writing there now).
   */
  private static Object touchStamp(Sandbox workspace) {
    return workspace instanceof DirectorySandbox d ? (Object) d.mutations() : workspace.files();
  }

  /** A busy answer must come before this host touched anything. */
  private static void busy(String what, ChatBuilder builder, Sandbox workspace, String app, Object before,
      BusyException e, PrintStream out) {
    boolean untouched = touchStamp(workspace).equals(before) && builder.activeRun(app).isEmpty();
    out.println(what + " busy " + (untouched ? "untouched" : "TOUCHED") + " " + e.getMessage().replace('\n', ' '));
  }

  private static void resync(ChatBuilder builder, String app, PrintStream out) {
    try {
      builder.resync(app);
      out.println("resync ok");
    } catch (BusyException e) {
      out.println("resync busy");
    }
  }

  /** The JDBC store and its leases, with every granted lease marked by a file while it is held. */
  private static final class Marked implements ForwardingCheckpointStore, ForwardingLeaseStore {
    private final CheckpointStore checkpoints;
    private final LeaseStore leases;
    private final Path mark;
    private final PrintStream out;

    Marked(CheckpointStore checkpoints, LeaseStore leases, Path mark, PrintStream out) {
      this.checkpoints = checkpoints;
      this.leases = leases;
      this.mark = mark;
      this.out = out;
    }

    @Override
    public CheckpointStore delegate() {
      return checkpoints;
    }

    @Override
    public LeaseStore leases() {
      return leases;
    }

    @Override
    public Lease acquire(String appId, String holder, Duration ttl) {
      Lease lease = leases.acquire(appId, holder, ttl);
      try {
        Files.writeString(mark, holder + " token " + lease.token(), java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        String other;
        try {
          other = Files.readString(mark);
        } catch (IOException ex) {
          other = "?";
        }
        synchronized (out) {
          out.println("overlap " + holder + " token " + lease.token() + " while " + other);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return lease;
    }

    @Override
    public void release(Lease lease) {
      try {
        String held = Files.readString(mark);
        if (held.equals(lease.holder() + " token " + lease.token())) {
          Files.delete(mark);
        }
      } catch (IOException e) {
        // not marked (e.g. released twice)
      }
      leases.release(lease);
    }
  }
}
