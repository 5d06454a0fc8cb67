package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real {@code node} processes, run both unisolated and (where bubblewrap works) isolated: exit codes,
 * live streaming, output caps, and killing the whole tree on timeout and cancel.
 */
class CommandRunnerTest {
  @TempDir Path base;

  private LocalSandbox open(Isolation isolation, CommandPolicy policy) throws IOException {
    LocalSandbox sandbox = LocalSandbox.builder(Files.createDirectories(base.resolve("app")))
        .isolation(isolation).policy(policy).build();
    if (isolation == Isolation.BUBBLEWRAP) {
      BwrapSupport.requireIsolated(sandbox);
    }
    return sandbox;
  }

  /**
   * Writes {@code code} to a script in the sandbox and returns the command that runs it (the policy
   * refuses shell syntax such as ';' inside arguments, so code goes in a file).
   */
  private static CommandRequest node(LocalSandbox sandbox, String code, String... args) {
    String name = "script-" + UUID.randomUUID() + ".js";
    sandbox.write(name, code.getBytes(StandardCharsets.UTF_8));
    List<String> argv = new ArrayList<>(List.of("node", name));
    argv.addAll(List.of(args));
    return new CommandRequest(argv, "", Map.of(), Optional.empty());
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void exitCodeOutputAndWorkingDirectory(Isolation isolation) throws IOException {
    try (LocalSandbox sandbox = open(isolation, CommandPolicy.defaults())) {
      sandbox.write("sub/data.txt", "from the app".getBytes(StandardCharsets.UTF_8));
      sandbox.write("sub/main.js", ("const fs=require('fs'); console.log(fs.readFileSync('data.txt','utf8').trim()); console.error('warn'); "
              + "fs.writeFileSync('made.txt','by node'); process.exit(3)").getBytes(StandardCharsets.UTF_8));
      CommandRequest request = new CommandRequest(List.of("node", "main.js"), "sub", Map.of(), Optional.empty());
      CommandResult result = sandbox.run(request, CommandListener.NONE, new Cancellation());
      assertThat(result.exitCode()).as(result.stderr()).isEqualTo(3);
      assertThat(result.stdout()).isEqualTo("from the app\n");
      assertThat(result.stderr()).isEqualTo("warn\n");
      assertThat(result.isolated()).isEqualTo(isolation == Isolation.BUBBLEWRAP);
      assertThat(result.succeeded()).isFalse();
      assertThat(sandbox.read("sub/made.txt").text()).contains("by node");
      assertThat(sandbox.scanChanges().paths()).as("a command's writes are found by the rescan").contains("sub/made.txt");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void npmAndNpxRun(Isolation isolation) throws IOException {
    try (LocalSandbox sandbox = open(isolation, CommandPolicy.defaults())) {
      for (String program : List.of("npm", "npx")) {
        CommandResult result = sandbox.run(CommandRequest.of(program, "--version"), CommandListener.NONE, new Cancellation());
        assertThat(result.exitCode()).as(program + ": " + result.stderr()).isZero();
        assertThat(result.stdout().trim()).as(program).matches("\\d+\\.\\d+\\.\\d+");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void outputStreamsToTheListenerWhileTheCommandRuns(Isolation isolation) throws IOException {
    try (LocalSandbox sandbox = open(isolation, CommandPolicy.defaults())) {
      Path go = sandbox.root().resolve("go");
      List<String> chunks = Collections.synchronizedList(new ArrayList<>());
      // The command waits for a file the listener creates when it sees "ready": the run can only
      // finish if "ready" reached the listener while the process was still running.
      CommandListener listener = new CommandListener() {
        @Override
        public void onStdout(String chunk) {
          chunks.add(chunk);
          if (chunk.contains("ready")) {
            try {
              Files.writeString(go, "go");
            } catch (IOException e) {
              throw new RuntimeException(e);
            }
          }
        }
      };
      CommandResult result = sandbox.run(node(sandbox,
          "console.log('ready'); const fs=require('fs'); "
              + "const t=setInterval(()=>{ if (fs.existsSync('go')) { console.log('done'); clearInterval(t); } }, 20)")
          .withTimeout(Duration.ofSeconds(60)), listener, new Cancellation());
      assertThat(result.timedOut()).as("the listener saw 'ready' before the process ended").isFalse();
      assertThat(result.exitCode()).isZero();
      assertThat(String.join("", chunks)).isEqualTo("ready\ndone\n");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void timeoutKillsTheWholeProcessTree(Isolation isolation) throws Exception {
    try (LocalSandbox sandbox = open(isolation, CommandPolicy.defaults())) {
      String token = "tree-" + UUID.randomUUID();
      // Long enough for node to start its child even on a loaded machine.
      CommandResult result = sandbox.run(node(sandbox, SPAWN_CHILD_THEN_HANG, token).withTimeout(Duration.ofSeconds(8)),
          new CommandListener() {}, new Cancellation());
      assertThat(result.timedOut()).isTrue();
      assertThat(result.cancelled()).isFalse();
      assertThat(result.exitCode()).isEqualTo(-1);
      assertThat(result.stdout()).contains("child started");
      assertNoProcessWith(token);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void cancelKillsTheWholeProcessTree(Isolation isolation) throws Exception {
    try (LocalSandbox sandbox = open(isolation, CommandPolicy.defaults())) {
      String token = "tree-" + UUID.randomUUID();
      Cancellation cancellation = new Cancellation();
      CommandListener cancelWhenStarted = new CommandListener() {
        @Override
        public void onStdout(String chunk) {
          if (chunk.contains("child started")) {
            cancellation.cancel();
          }
        }
      };
      CommandResult result = sandbox.run(node(sandbox, SPAWN_CHILD_THEN_HANG, token).withTimeout(Duration.ofMinutes(5)),
          cancelWhenStarted, cancellation);
      assertThat(result.cancelled()).isTrue();
      assertThat(result.timedOut()).isFalse();
      assertThat(result.exitCode()).isEqualTo(-1);
      assertNoProcessWith(token);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void outputBeyondTheCapIsDroppedWithAMarker(Isolation isolation) throws IOException {
    CommandPolicy policy = CommandPolicy.builder().outputLimitBytes(4096).build();
    try (LocalSandbox sandbox = open(isolation, policy)) {
      StringBuilder streamed = new StringBuilder();
      CommandListener listener = new CommandListener() {
        @Override
        public synchronized void onStdout(String chunk) {
          streamed.append(chunk);
        }
      };
      CommandResult result = sandbox.run(node(sandbox, "process.stdout.write('é'.repeat(50000)); console.log('END')"), listener,
          new Cancellation());
      assertThat(result.exitCode()).isZero();
      assertThat(result.truncated()).isTrue();
      assertThat(result.stdout()).startsWith("éé").doesNotContain("END").contains("[output truncated: over the 4096 byte limit");
      String kept = result.stdout().substring(0, result.stdout().indexOf('\n'));
      assertThat(kept.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096).isGreaterThan(4000);
      assertThat(kept).as("no character is cut in half").matches("é+");
      assertThat(streamed.toString()).contains("[output truncated").doesNotContain("END");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void alreadyCancelledRunsNothing(Isolation isolation) throws IOException {
    try (LocalSandbox sandbox = open(isolation, CommandPolicy.defaults())) {
      Cancellation cancellation = new Cancellation();
      cancellation.cancel();
      CommandResult result = sandbox.run(node(sandbox, "require('fs').writeFileSync('ran.txt','x')"), CommandListener.NONE, cancellation);
      assertThat(result.cancelled()).isTrue();
      assertThat(sandbox.root().resolve("ran.txt")).doesNotExist();
    }
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"UNISOLATED", "BUBBLEWRAP"})
  void closingTheSandboxKillsRunningCommands(Isolation isolation) throws Exception {
    LocalSandbox sandbox = open(isolation, CommandPolicy.defaults());
    String token = "tree-" + UUID.randomUUID();
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    CommandListener listener = new CommandListener() {
      @Override
      public void onStdout(String chunk) {
        if (chunk.contains("child started")) {
          started.countDown();
        }
      }
    };
    CommandRequest request = node(sandbox, SPAWN_CHILD_THEN_HANG, token).withTimeout(Duration.ofMinutes(5));
    java.util.concurrent.CompletableFuture<CommandResult> run = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> sandbox.run(request, listener, new Cancellation()));
    assertThat(started.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    sandbox.close();
    CommandResult result = run.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(result.succeeded()).isFalse();
    assertNoProcessWith(token);
  }

  /** Starts a child node carrying the token (argv[2]) in its command line, then hangs. */
  private static final String SPAWN_CHILD_THEN_HANG = "const {spawn}=require('child_process');"
      + "const c=spawn(process.execPath,['-e','setInterval(()=>{},1000)',process.argv[2]],{stdio:'ignore'});"
      + "c.on('spawn',()=>console.log('child started'));"
      + "setInterval(()=>{},1000);";

  /** Waits (bounded) until no process on the host has {@code token} in its command line. */
  static void assertNoProcessWith(String token) throws Exception {
    List<Long> alive = List.of();
    for (int i = 0; i < 100; i++) {
      alive = processesWith(token);
      if (alive.isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    assertThat(alive).as("processes still alive with " + token).isEmpty();
  }

  /** Waits (bounded) until some process on the host has {@code token} in its command line: the check above can fail. */
  static void assertSomeProcessWith(String token) throws Exception {
    for (int i = 0; i < 100; i++) {
      if (!processesWith(token).isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no process with " + token + " ever ran");
  }

  static List<Long> processesWith(String token) throws IOException {
    List<Long> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          String stat = Files.readString(p.resolve("stat"));
          boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
          if (cmdline.contains(token) && !zombie) {
            found.add(Long.parseLong(name));
          }
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
    }
    return found;
  }
}
