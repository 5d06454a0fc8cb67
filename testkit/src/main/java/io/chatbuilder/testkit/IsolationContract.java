package io.chatbuilder.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What isolation must hold for every sandbox that runs app code (local, remote, third-party): code
 * the agent writes, run with an allowed program ({@code node}), cannot read the host's secrets, see
 * its environment, write outside the app, regain privileges, or reach services on the host's
 * loopback; and an install from the configured registry still works. Each case runs real
 * JavaScript, since no command allowlist can stop {@code node script.js}.
 *
 * <p>Extend it and open a sandbox with real isolation on {@code root}; the extension decides whether
 * a machine without the isolation backend skips or fails (under {@code CI=true} it must fail).
 */
public abstract class IsolationContract {
  @TempDir protected Path base;

  private final List<Path> planted = new ArrayList<>();
  private Path outside;
  private String secret;

  /** Opens an isolated sandbox on {@code root} (created, empty) under {@code policy}. */
  protected abstract Sandbox openIsolated(Path root, CommandPolicy policy) throws IOException;

  /** System paths a broken sandbox would write; removed after a test that created them (it fails). */
  private static final List<Path> SYSTEM_TARGETS = List.of(Path.of("/usr/pwned"), Path.of("/etc/pwned"));

  @BeforeEach
  void plantSecrets() throws IOException {
    for (Path p : SYSTEM_TARGETS) {
      assertThat(p).as("left over by an earlier broken run; remove it").doesNotExist();
    }
    secret = "SECRET-" + UUID.randomUUID();
    outside = Files.createDirectories(base.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), secret);
    // Where host secrets usually sit: the JVM user's home and the host's temp directory.
    Path home = Path.of(System.getProperty("user.home"));
    if (Files.isDirectory(home) && Files.isWritable(home)) {
      planted.add(Files.writeString(home.resolve(".chatbuilder-isolation-" + UUID.randomUUID()), secret));
    }
    planted.add(Files.writeString(Files.createTempFile("chatbuilder-isolation-", ".secret"), secret));
  }

  @AfterEach
  void removeSecrets() throws IOException {
    for (Path p : planted) {
      Files.deleteIfExists(p);
    }
    for (Path p : SYSTEM_TARGETS) {
      Files.deleteIfExists(p);
    }
  }

  private Sandbox open(CommandPolicy policy) throws IOException {
    return openIsolated(Files.createDirectories(base.resolve("app-" + UUID.randomUUID().toString().substring(0, 8))), policy);
  }

  /** Runs {@code code} as a script file of the app (arbitrary JavaScript). */
  protected static CommandResult node(Sandbox sandbox, String code) {
    sandbox.write("probe.js", code.getBytes(StandardCharsets.UTF_8));
    return sandbox.run(new CommandRequest(List.of("node", "probe.js"), "", Map.of(), Optional.of(Duration.ofSeconds(60))),
        CommandListener.NONE, new Cancellation());
  }

  private static String js(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  @Test
  void hostSecretsInHomeTmpAndOutsideDirectoriesCannotBeRead() throws IOException {
    try (Sandbox sandbox = open(CommandPolicy.defaults())) {
      List<Path> targets = new ArrayList<>(planted);
      targets.add(outside.resolve("secret.txt"));
      StringBuilder code = new StringBuilder("const fs=require('fs');for (const p of [");
      for (Path p : targets) {
        code.append(js(p.toString())).append(',');
      }
      code.append("]) { try { console.log('READ ' + fs.readFileSync(p,'utf8')) } catch (e) { console.log('blocked ' + e.code) } }");
      // Also look around: the host's /tmp and home must not even be listed.
      code.append(";for (const d of [").append(js(System.getProperty("java.io.tmpdir"))).append(',')
          .append(js(System.getProperty("user.home"))).append("]) { try { for (const f of fs.readdirSync(d)) {"
              + " try { console.log('READ ' + fs.readFileSync(d + '/' + f, 'utf8')) } catch (e) {} } } catch (e) {} }");
      CommandResult result = node(sandbox, code.toString());
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(result.stdout()).contains("blocked").doesNotContain(secret);
    }
  }

  @Test
  void theJvmsEnvironmentAndOtherProcessesAreInvisible() throws IOException {
    try (Sandbox sandbox = open(CommandPolicy.defaults())) {
      CommandResult result = node(sandbox, "const fs=require('fs');"
          + "console.log(JSON.stringify(process.env));"
          + "for (const p of fs.readdirSync('/proc').filter(n => /^[0-9]+$/.test(n))) {"
          + " try { console.log('CMD ' + fs.readFileSync('/proc/' + p + '/cmdline','utf8').replace(/\\0/g,' ')) } catch (e) {} }");
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      String envJson = result.stdout().lines().findFirst().orElse("{}");
      Map<String, String> seen = new java.util.TreeMap<>();
      try {
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(envJson).fields()
            .forEachRemaining(f -> seen.put(f.getKey(), f.getValue().asText()));
      } catch (IOException e) {
        throw new AssertionError("not the environment as JSON: " + envJson, e);
      }
      for (Map.Entry<String, String> e : System.getenv().entrySet()) {
        if (CommandPolicy.DEFAULT_ENVIRONMENT.contains(e.getKey())) {
          continue;
        }
        // A variable of the JVM the policy does not pass must not arrive: not under its name (the
        // sandbox may set the same name to its own value, e.g. HOME or PWD) and not its value
        // (unless a value the sandbox set itself contains it, e.g. a CA bundle path).
        assertThat(seen.get(e.getKey())).as("the JVM's %s in the sandbox", e.getKey()).isNotEqualTo(e.getValue());
        if (e.getValue().length() >= 8 && seen.values().stream().noneMatch(v -> v.contains(e.getValue()))) {
          assertThat(result.stdout()).as("value of the JVM's %s", e.getKey()).doesNotContain(e.getValue());
        }
      }
      // Its own pid namespace: the JVM (java ...) is not among the processes it sees.
      assertThat(result.stdout()).doesNotContain(ProcessHandle.current().info().command().orElse("java"));
    }
  }

  @Test
  void nothingOutsideTheAppCanBeWritten() throws IOException {
    Path hostTmpTarget = Path.of(System.getProperty("java.io.tmpdir"), "chatbuilder-isolation-written-" + UUID.randomUUID());
    Path outsideTarget = outside.resolve("written.txt");
    try (Sandbox sandbox = open(CommandPolicy.defaults())) {
      CommandResult result = node(sandbox, "const fs=require('fs');for (const p of ["
          + js(hostTmpTarget.toString()) + "," + js(outsideTarget.toString()) + ",'/usr/pwned','/etc/pwned']) {"
          + " try { fs.writeFileSync(p,'x'); console.log('wrote ' + p) } catch (e) { console.log('blocked ' + e.code) } }"
          + "fs.writeFileSync('inside.txt','ok');");
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(sandbox.read("inside.txt").text()).contains("ok");
    } finally {
      planted.add(hostTmpTarget);
    }
    assertThat(hostTmpTarget).doesNotExist();
    assertThat(outsideTarget).doesNotExist();
    assertThat(Path.of("/usr/pwned")).doesNotExist();
    assertThat(Path.of("/etc/pwned")).doesNotExist();
  }

  @Test
  void processesHaveNoCapabilitiesAnUnprivilegedUidAndCannotRemount() throws IOException {
    CommandPolicy withMount = CommandPolicy.builder().undeny("mount").allow("mount").build();
    try (Sandbox sandbox = open(withMount)) {
      CommandResult status = node(sandbox, "const s=require('fs').readFileSync('/proc/self/status','utf8');"
          + "console.log(s.split('\\n').filter(l => /^Cap(Eff|Prm|Bnd|Amb):/.test(l)).join('\\n'));"
          + "console.log('uid ' + process.getuid());");
      assertThat(status.exitCode()).as(status.stderr()).isZero();
      assertThat(status.stdout()).contains("CapEff:\t0000000000000000").contains("CapPrm:\t0000000000000000")
          .doesNotContain("uid 0\n");
      // A link inside the app to the read-only /usr: the policy sees a relative path, so only the
      // missing capabilities stop the remount.
      CommandResult link = node(sandbox, "require('fs').symlinkSync('/usr', 'sys'); console.log('linked')");
      assertThat(link.stdout()).as(link.stderr()).contains("linked");
      CommandResult remount = sandbox.run(CommandRequest.of("mount", "-o", "remount,bind,rw", "sys"),
          CommandListener.NONE, new Cancellation());
      assertThat(remount.exitCode()).as("remount of a read-only bind").isNotZero();
      CommandResult write = node(sandbox, "try { require('fs').writeFileSync('/usr/pwned','x'); console.log('wrote') }"
          + " catch (e) { console.log('blocked ' + e.code) }");
      assertThat(write.stdout()).startsWith("blocked");
    }
    assertThat(Path.of("/usr/pwned")).doesNotExist();
  }

  @Test
  void servicesOnTheHostsLoopbackCannotBeReached() throws Exception {
    try (ServerSocket hostService = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Sandbox sandbox = open(CommandPolicy.defaults())) {
      AtomicBoolean contacted = new AtomicBoolean();
      Thread acceptor = new Thread(() -> {
        try (Socket s = hostService.accept()) {
          contacted.set(true);
          OutputStream out = s.getOutputStream();
          out.write("HOST-SERVICE\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException ignored) {
          // closed at the end of the test
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      int port = hostService.getLocalPort();
      CommandResult result = node(sandbox, "const net=require('net');let n=0;"
          + "for (const h of ['127.0.0.1','localhost','::1','0.0.0.0']) {"
          + " const s=net.connect({host:h,port:" + port + "});"
          + " s.setTimeout(3000);"
          + " s.on('data',d=>console.log('GOT ' + d));"
          + " s.on('connect',()=>console.log('connected ' + h));"
          + " s.on('timeout',()=>{console.log('timeout ' + h);s.destroy()});"
          + " s.on('error',e=>console.log('blocked ' + h + ' ' + e.code));"
          + " s.on('close',()=>{});"
          + "}");
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(result.stdout()).doesNotContain("GOT").doesNotContain("connected");
      assertThat(contacted).isFalse();
    }
  }

  @Test
  void anInstallFromTheRegistryWorksAndOtherHostsAreRefused() throws IOException {
    try (Sandbox sandbox = open(CommandPolicy.defaults())) {
      sandbox.write("package.json", "{\"name\":\"probe\",\"version\":\"1.0.0\",\"private\":true}\n".getBytes(StandardCharsets.UTF_8));
      CommandResult install = sandbox.run(new CommandRequest(List.of("npm", "install", "--no-audit", "--no-fund", "is-number@7.0.0"),
          "", Map.of(), Optional.of(Duration.ofMinutes(3))), CommandListener.NONE, new Cancellation());
      assertThat(install.exitCode()).as(install.stdout() + install.stderr()).isZero();
      CommandResult use = node(sandbox, "console.log('is-number ' + require('is-number')(5))");
      assertThat(use.stdout()).contains("is-number true");
      // Through the same egress, a host that is not allowed is refused, and so is the host itself.
      CommandResult other = node(sandbox, "const u=new URL(process.env.HTTPS_PROXY || process.env.https_proxy || 'http://127.0.0.1:9');"
          + "const http=require('http');let left=3;"
          + "for (const target of ['example.com:443','127.0.0.1:22','localhost:5432']) {"
          + " const r=http.request({host:u.hostname,port:u.port,method:'CONNECT',path:target});"
          + " r.setTimeout(10000,()=>{console.log('timeout ' + target);r.destroy()});"
          + " r.on('connect',(res,sock)=>{console.log('status ' + target + ' ' + res.statusCode);sock.destroy()});"
          + " r.on('response',res=>console.log('status ' + target + ' ' + res.statusCode));"
          + " r.on('error',e=>console.log('blocked ' + target + ' ' + e.code));"
          + " r.end();"
          + "}");
      assertThat(other.exitCode()).as(other.stderr()).isZero();
      assertThat(other.stdout()).doesNotContain(" 200");
    }
  }
}
