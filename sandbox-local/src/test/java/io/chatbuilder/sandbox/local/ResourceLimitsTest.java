package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.ResourceLimits;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each limit of {@link ResourceLimits} stops a hostile command with a clear message, and the host
 * is fine afterwards: no process of the command is left and its cgroups are gone. Every hostile
 * script has its own hard cap, so a broken limit fails the test instead of taking the machine down.
 */
class ResourceLimitsTest {
  private static final ResourceLimits SMALL = ResourceLimits.DEFAULTS
      .withMaxProcesses(64)
      .withMaxMemoryBytes(256L << 20)
      .withMaxCpuTime(Duration.ofSeconds(2))
      .withMaxFileBytes(8L << 20)
      .withMaxDiskBytes(64L << 20);

  @TempDir Path base;
  private final List<String> tokens = new ArrayList<>();

  private LocalSandbox open(ResourceLimits limits) throws IOException {
    LocalSandbox sandbox = LocalSandbox.builder(Files.createDirectories(base.resolve("app"))).id("limits")
        .policy(CommandPolicy.builder().limits(limits).build()).build();
    BwrapSupport.requireIsolated(sandbox);
    return sandbox;
  }

  private CommandResult node(LocalSandbox sandbox, String code, Duration timeout) {
    String token = "limit-" + UUID.randomUUID();
    tokens.add(token);
    sandbox.write("hostile.js", code.getBytes(StandardCharsets.UTF_8));
    return sandbox.run(new CommandRequest(List.of("node", "hostile.js", token), "", Map.of(), Optional.of(timeout)),
        CommandListener.NONE, new Cancellation());
  }

  @AfterEach
  void theHostIsFine() throws Exception {
    for (String token : tokens) {
      CommandRunnerTest.assertNoProcessWith(token);
    }
    for (String controller : List.of("pids", "memory", "cpu")) {
      Path dir = Path.of("/sys/fs/cgroup", controller, "chatbuilder");
      if (Files.isDirectory(dir)) {
        try (Stream<Path> groups = Files.list(dir)) {
          assertThat(groups.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> n.startsWith("limits-")))
              .as("cgroups of finished commands are removed (" + controller + ")").isEmpty();
        }
      }
    }
  }

  @Test
  void aForkBombStopsAtTheProcessLimit() throws IOException {
    // Spawns long-sleeping children (a shell carrying the token, and its sleep) one at a time until a spawn fails; never more than 400.
    String bomb = "const {spawn}=require('child_process');let n=0;"
        + "function next(){ if(n>=400){console.log('spawned '+n+' (cap)');process.exit(0);}"
        + " let c; try { c=spawn('/bin/sh',['-c','/bin/sleep 60; :',process.argv[2]],{stdio:'ignore'}); }"
        + " catch(e){ console.log('spawned '+n+' then '+e.code); process.exit(3); }"
        + " c.on('spawn',()=>{n++;setImmediate(next)});"
        + " c.on('error',e=>{console.log('spawned '+n+' then '+e.code);process.exit(3)}); }"
        + "next();";
    try (LocalSandbox sandbox = open(SMALL)) {
      CommandResult result = node(sandbox, bomb, Duration.ofSeconds(120));
      System.out.println("[sandbox-local] fork bomb under a 64 process limit: " + result.stdout().trim());
      assertThat(result.stdout()).as(result.stderr()).doesNotContain("(cap)");
      assertThat(result.stderr()).contains("[chatbuilder] stopped: reached the limit of 64 processes and threads");
      if (result.stdout().startsWith("spawned")) {
        int spawned = Integer.parseInt(result.stdout().split(" ")[1]);
        assertThat(spawned).isLessThan(64);
        assertThat(result.stdout()).contains("EAGAIN");
      }
    }
  }

  @Test
  void aMemoryHogIsKilledAtTheMemoryLimit() throws IOException {
    // Touches 10 MiB at a time, at most 2 GiB.
    String hog = "const keep=[];for(let i=0;i<200;i++){keep.push(Buffer.alloc(10<<20,1));}console.log('kept '+keep.length)";
    try (LocalSandbox sandbox = open(SMALL)) {
      CommandResult result = node(sandbox, hog, Duration.ofSeconds(120));
      assertThat(result.stdout()).doesNotContain("kept 200");
      assertThat(result.succeeded()).isFalse();
      assertThat(result.stderr()).contains("[chatbuilder] killed: over the " + (256L << 20) + " byte memory limit");
    }
  }

  @Test
  void anEndlessLoopIsKilledAtTheCpuTimeLimit() throws IOException {
    try (LocalSandbox sandbox = open(SMALL)) {
      // The timeout is far above the CPU limit: what stops it is the CPU limit.
      CommandResult result = node(sandbox, "for(;;){}", Duration.ofMinutes(5));
      assertThat(result.timedOut()).isFalse();
      assertThat(result.exitCode()).isEqualTo(128 + 24);
      assertThat(result.stderr()).contains("[chatbuilder] killed: over the 2 s CPU time limit");
    }
  }

  @Test
  void aFileCannotGrowOverTheFileSizeLimit() throws IOException {
    String big = "const fs=require('fs');try{fs.writeFileSync('big.bin',Buffer.alloc(16<<20,1));console.log('wrote')}"
        + "catch(e){console.log('refused '+e.code)}";
    try (LocalSandbox sandbox = open(SMALL)) {
      CommandResult result = node(sandbox, big, Duration.ofSeconds(60));
      // node ignores SIGXFSZ, so the write fails with EFBIG ("file too large") rather than killing it.
      assertThat(result.stdout()).as(result.stderr()).startsWith("refused EFBIG");
      assertThat(Files.size(sandbox.root().resolve("big.bin"))).isLessThanOrEqualTo(8L << 20);
    }
  }

  @Test
  void theAppDirectoryCannotGrowOverTheDiskLimit() throws IOException {
    // 8 MiB files (each within the file limit) every 100 ms, at most 60 of them (480 MiB).
    String filler = "const fs=require('fs');let i=0;"
        + "function next(){ if(i>=60){console.log('done');return;} fs.writeFileSync('fill-'+(i++)+'.bin',Buffer.alloc((8<<20)-1,1));"
        + " setTimeout(next,100); } next();";
    try (LocalSandbox sandbox = open(SMALL)) {
      CommandResult result = node(sandbox, filler, Duration.ofMinutes(2));
      assertThat(result.stdout()).doesNotContain("done");
      assertThat(result.exitCode()).isEqualTo(-1);
      assertThat(result.stderr()).contains("[chatbuilder] killed: the app directory grew over the " + (64L << 20) + " byte disk limit");
      long total;
      try (Stream<Path> files = Files.list(sandbox.root())) {
        total = files.mapToLong(p -> p.toFile().length()).sum();
      }
      assertThat(total).isLessThan(480L << 20);
    }
  }

  @Test
  void aServiceIsHeldToTheSameLimits() throws Exception {
    String hog = "const keep=[];const t=setInterval(()=>{keep.push(Buffer.alloc(10<<20,1));if(keep.length>=200){console.log('kept all');clearInterval(t)}},5)";
    try (LocalSandbox sandbox = open(SMALL)) {
      sandbox.write("hog.js", hog.getBytes(StandardCharsets.UTF_8));
      List<String> stderr = Collections.synchronizedList(new ArrayList<>());
      SandboxService service = sandbox.startService(new ServiceRequest("hog", List.of("node", "hog.js"), "", Map.of(), 4100),
          new CommandListener() {
            @Override
            public void onStderr(String chunk) {
              stderr.add(chunk);
            }
          });
      int code = service.exited().get(120, TimeUnit.SECONDS);
      assertThat(code).isNotZero();
      assertThat(String.join("", stderr)).contains("[chatbuilder] service hog killed: over the " + (256L << 20) + " byte memory limit");
    }
  }

  @Test
  void asRootWithoutAPidsCgroupNothingRuns() throws IOException {
    Assumptions.assumeTrue(ProcessLauncher.runsAsRoot(), "only root relies on the pids cgroup");
    Path noCgroups = Files.createDirectories(base.resolve("no-cgroups"));
    try (LocalSandbox sandbox = LocalSandbox.builder(Files.createDirectories(base.resolve("app"))).cgroupMount(noCgroups).build()) {
      BwrapSupport.requireIsolated(sandbox);
      assertThatThrownBy(() -> node(sandbox, "require('fs').writeFileSync('ran.txt','x')", Duration.ofSeconds(30)))
          .isInstanceOf(SandboxException.class)
          .hasMessageContaining("the JVM runs as root")
          .hasMessageContaining("RLIMIT_NPROC")
          .hasMessageContaining("pids cgroup");
      assertThat(sandbox.root().resolve("ran.txt")).doesNotExist();
    }
  }
}
