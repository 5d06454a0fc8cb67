package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * App code that tries to get out, run with real bubblewrap as the host runs it (here: as root).
 * Each attack is written as the JavaScript an agent could put in a script: no allowlist stops
 * that, only the sandbox does.
 */
class AdversarialIsolationTest {
  @TempDir Path base;

  private LocalSandbox sandbox(String name, CommandPolicy policy, Map<String, String> environment) throws IOException {
    LocalSandbox.Builder builder = LocalSandbox.builder(Files.createDirectories(base.resolve(name))).id(name).policy(policy);
    if (environment != null) {
      builder.baseEnvironment(environment);
    }
    LocalSandbox sandbox = builder.build();
    BwrapSupport.requireIsolated(sandbox);
    return sandbox;
  }

  private LocalSandbox sandbox(String name) throws IOException {
    return sandbox(name, CommandPolicy.defaults(), null);
  }

  /**
   * Runs {@code code} with {@code args} as {@code process.argv[2..]}. The arguments are put into the
   * script (the policy refuses absolute paths outside the app as arguments; JavaScript can use any path).
   */
  private static CommandResult node(LocalSandbox sandbox, String code, String... args) {
    StringBuilder argv2 = new StringBuilder("process.argv.splice(2, process.argv.length");
    for (String a : args) {
      argv2.append(", ").append(jsString(a));
    }
    argv2.append(");\n");
    sandbox.write("attack.js", (argv2 + code).getBytes(StandardCharsets.UTF_8));
    List<String> argv = List.of("node", "attack.js");
    CommandResult result = sandbox.run(new CommandRequest(argv, "", Map.of(), Optional.of(Duration.ofMinutes(2))),
        CommandListener.NONE, new Cancellation());
    assertThat(result.isolated()).isTrue();
    return result;
  }

  @Test
  void secretsInTheHostsHomeAndTmpAreNotVisible() throws Exception {
    String secret = "SECRET-" + UUID.randomUUID();
    Path inHome = Path.of(System.getProperty("user.home"), ".chatbuilder-test-secret-" + UUID.randomUUID());
    Path inTmp = Path.of("/tmp", "chatbuilder-test-secret-" + UUID.randomUUID());
    Files.writeString(inHome, secret);
    Files.writeString(inTmp, secret);
    try (LocalSandbox sandbox = sandbox("app")) {
      // Read the planted files directly, then look for the secret in every file under the
      // directories a host keeps secrets in (what an attacker would crawl).
      CommandResult result = node(sandbox, "const fs=require('fs');const path=require('path');const out=[];"
          + "for (const p of process.argv.slice(2)) { try { out.push('READ '+fs.readFileSync(p,'utf8')) } catch(e) { out.push('denied '+e.code) } }"
          + "let files=0;"
          + "function walk(d,depth){ if(depth>6) return; let es; try{es=fs.readdirSync(d,{withFileTypes:true})}catch(e){return}"
          + " for(const e of es){ const p=path.join(d,e.name); if(p.startsWith(process.cwd())) continue;"
          + "  if(e.isDirectory()) walk(p,depth+1); else if(e.isFile()){ files++; try{ if(fs.readFileSync(p,'utf8').includes('SECRET-')) out.push('FOUND '+p) }catch(x){} } } }"
          + "for (const d of ['/tmp','/root','/home','/run','/var','/etc','/opt','/srv','/mnt']) walk(d,0);"
          + "out.push('crawled '+files);console.log(out.join('\\n'))", inHome.toString(), inTmp.toString(),
          "/proc/1/root" + inTmp);
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(result.stdout()).doesNotContain(secret).doesNotContain("READ ").doesNotContain("FOUND ")
          .contains("denied ENOENT").contains("crawled ");
    } finally {
      Files.deleteIfExists(inHome);
      Files.deleteIfExists(inTmp);
    }
  }

  @Test
  void theJvmsEnvironmentIsNotVisible() throws Exception {
    String secret = "ENVSECRET-" + UUID.randomUUID();
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("DATABASE_PASSWORD", secret);
    env.put("AWS_SECRET_ACCESS_KEY", secret);
    try (LocalSandbox sandbox = sandbox("app", CommandPolicy.defaults(), env)) {
      // process.env, and the environment of every process the sandbox can see (/proc/*/environ).
      CommandResult result = node(sandbox, "const fs=require('fs');const out=[JSON.stringify(process.env)];"
          + "for (const p of fs.readdirSync('/proc')) { if (!/^[0-9]+$/.test(p)) continue;"
          + " try { out.push(fs.readFileSync('/proc/'+p+'/environ','utf8').split('\\0').join('\\n')) } catch(e) {} }"
          + "console.log(out.join('\\n'))");
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(result.stdout()).doesNotContain(secret).doesNotContain("DATABASE_PASSWORD").doesNotContain("AWS_SECRET");
      Set<String> allowed = CommandPolicy.defaults().environmentAllowlist();
      for (Map.Entry<String, String> e : System.getenv().entrySet()) {
        if (!allowed.contains(e.getKey()) && e.getValue().length() >= 4) {
          assertThat(result.stdout()).as("the JVM's " + e.getKey()).doesNotContain(e.getKey() + "=" + e.getValue());
        }
      }
      assertThat(result.stdout()).contains("CI=1");
    }
  }

  @Test
  void nothingOutsideTheAppCanBeWrittenNotEvenAfterARemount() throws Exception {
    String marker = "pwned-" + UUID.randomUUID();
    Path hostHomeTarget = Path.of(System.getProperty("user.home"), marker);
    Path hostTmpTarget = Path.of("/tmp", marker);
    try (LocalSandbox sandbox = sandbox("app")) {
      Path otherApp = Files.createDirectories(base.resolve("other-app"));
      CommandResult result = node(sandbox, "const fs=require('fs');const cp=require('child_process');const out=[];"
          + "const m=process.argv[2];"
          + "for (const l of fs.readFileSync('/proc/self/status','utf8').split('\\n')) if (/^(Uid|Gid|Cap(Inh|Prm|Eff|Bnd|Amb)):/.test(l)) out.push(l.replace(/\\s+/g,' '));"
          + "for (const args of [['-o','remount,bind,rw','/usr'],['-o','remount,rw','/usr'],['--bind','/tmp','/usr'],['-t','tmpfs','none','/usr']]) {"
          + "  try { cp.execFileSync('/usr/bin/mount', args, {stdio:'pipe'}); out.push('MOUNTED '+args.join(' ')) } catch(e) { out.push('mount refused '+e.status) } }"
          + "try { cp.execFileSync('/usr/bin/unshare', ['-Urm','true'], {stdio:'pipe'}); out.push('UNSHARED') } catch(e) { out.push('unshare refused') }"
          + "for (const p of ['/usr/'+m, '/etc/'+m, '/'+m, process.argv[3], process.argv[4], process.argv[5]+'/'+m]) {"
          + "  try { fs.writeFileSync(p,'x'); out.push('WROTE '+p) } catch(e) { out.push('write refused '+e.code) } }"
          + "console.log(out.join('\\n'))", marker, hostHomeTarget.toString(), hostTmpTarget.toString(), otherApp.toString());
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      String out = result.stdout();
      assertThat(out).contains("Uid: 1000 1000 1000 1000", "Gid: 1000 1000 1000 1000",
          "CapInh: 0000000000000000", "CapPrm: 0000000000000000", "CapEff: 0000000000000000",
          "CapBnd: 0000000000000000", "CapAmb: 0000000000000000");
      assertThat(out).doesNotContain("MOUNTED").doesNotContain("UNSHARED").contains("mount refused").contains("unshare refused");
      // Writes to /tmp inside land in the sandbox's own tmpfs, never in the host's /tmp.
      assertThat(out.lines().filter(l -> l.startsWith("WROTE ")).toList()).allMatch(l -> l.equals("WROTE " + hostTmpTarget));
      assertThat(hostHomeTarget).doesNotExist();
      assertThat(hostTmpTarget).doesNotExist();
      assertThat(otherApp.resolve(marker)).doesNotExist();
      assertThat(Path.of("/usr", marker)).doesNotExist();
      assertThat(Path.of("/etc", marker)).doesNotExist();
    } finally {
      Files.deleteIfExists(hostHomeTarget);
      Files.deleteIfExists(hostTmpTarget);
    }
  }

  @Test
  void servicesOnTheHostAreUnreachable() throws Exception {
    // Stand-ins for the host's database and the studio API: one on loopback, one on every interface.
    try (ServerSocket loopback = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServerSocket wildcard = new ServerSocket()) {
      wildcard.bind(new InetSocketAddress(0));
      loopback.setSoTimeout(300);
      wildcard.setSoTimeout(300);
      List<String> targets = new ArrayList<>(List.of("127.0.0.1:" + loopback.getLocalPort(), "127.0.0.1:" + wildcard.getLocalPort(),
          "[::1]:" + wildcard.getLocalPort()));
      hostAddress().ifPresent(a -> targets.add(a + ":" + wildcard.getLocalPort()));
      try (LocalSandbox sandbox = sandbox("app")) {
        CommandResult result = node(sandbox, CONNECT_ALL, String.join(",", targets));
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).doesNotContain("CONNECTED").contains("refused");
        // Through the egress proxy too: the host's loopback is never an allowed host.
        CommandResult viaProxy = node(sandbox, VIA_PROXY, "127.0.0.1:" + loopback.getLocalPort(), "localhost:443", "127.0.0.1:443");
        assertThat(viaProxy.stdout()).as(viaProxy.stderr()).doesNotContain("status 200").contains("status 403");
      }
      for (ServerSocket s : List.of(loopback, wildcard)) {
        try {
          s.accept().close();
          throw new AssertionError("a sandboxed command reached a host port");
        } catch (SocketTimeoutException expected) {
          // nothing connected
        }
      }
    }
  }

  /** Tries each host:port in argv[2] (comma-separated), printing CONNECTED or refused per target. */
  private static final String CONNECT_ALL = "const net=require('net');const ts=process.argv[2].split(',');let left=ts.length;"
      + "for (const t of ts) { const i=t.lastIndexOf(':'); const host=t.slice(0,i).replace(/[\\[\\]]/g,''); const port=+t.slice(i+1);"
      + " const s=net.connect({host,port,timeout:3000});"
      + " const done=m=>{console.log(t+' '+m);s.destroy();if(--left===0)process.exit(0)};"
      + " s.on('connect',()=>done('CONNECTED'));s.on('timeout',()=>done('refused timeout'));s.on('error',e=>done('refused '+e.code)); }";

  /** Asks the egress proxy (the sandbox's HTTPS_PROXY) to CONNECT to each argv target, printing its status. */
  private static final String VIA_PROXY = "const http=require('http');const u=new URL(process.env.HTTPS_PROXY);"
      + "const ts=process.argv.slice(2);let left=ts.length;"
      + "for (const t of ts) { const r=http.request({host:u.hostname,port:u.port,method:'CONNECT',path:t});"
      + " r.on('connect',(res,sock)=>{console.log(t+' status '+res.statusCode);sock.destroy();if(--left===0)process.exit(0)});"
      + " r.on('response',res=>{console.log(t+' status '+res.statusCode);if(--left===0)process.exit(0)});"
      + " r.on('error',e=>{console.log(t+' error '+e.code);if(--left===0)process.exit(0)}); r.end(); }";

  private static String jsString(String s) {
    StringBuilder sb = new StringBuilder("'");
    for (char c : s.toCharArray()) {
      if (c == '\'' || c == '\\' || c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('\'').toString();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static Optional<String> hostAddress() throws IOException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return Optional.of(a.getHostAddress());
          }
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void anotherAppsServiceIsUnreachable() throws Exception {
    try (LocalSandbox victim = sandbox("victim"); LocalSandbox attacker = sandbox("attacker")) {
      victim.write("server.js", ServiceTest.SERVER.getBytes(StandardCharsets.UTF_8));
      int port = 20000 + (int) (Math.random() * 20000);
      SandboxService service = victim.startService(new ServiceRequest("dev", List.of("node", "server.js", Integer.toString(port)),
          "", Map.of(), port), CommandListener.NONE);
      URI endpoint = service.endpoint();
      assertThat(ServiceTest.get(endpoint)).contains("\"port\":" + port);
      CommandResult result = node(attacker, CONNECT_ALL, "127.0.0.1:" + endpoint.getPort() + ",127.0.0.1:" + port);
      assertThat(result.stdout()).as(result.stderr()).doesNotContain("CONNECTED").contains("refused");
      CommandResult viaProxy = node(attacker, VIA_PROXY, "127.0.0.1:" + endpoint.getPort(), "localhost:" + endpoint.getPort());
      assertThat(viaProxy.stdout()).doesNotContain("status 200").contains("status 403");
      service.close();
    }
  }

  @Test
  void npmInstallsFromTheRegistryThroughTheProxyAndNothingElseGoesOut() throws Exception {
    try (LocalSandbox sandbox = sandbox("app")) {
      sandbox.write("package.json", "{\"name\":\"app\",\"version\":\"1.0.0\",\"private\":true}".getBytes(StandardCharsets.UTF_8));
      CommandResult install = sandbox.run(new CommandRequest(List.of("npm", "install", "is-number@7.0.0", "--no-audit", "--no-fund"),
          "", Map.of(), Optional.of(Duration.ofMinutes(3))), CommandListener.NONE, new Cancellation());
      assertThat(install.exitCode()).as(install.stdout() + install.stderr()).isZero();
      assertThat(install.isolated()).isTrue();
      assertThat(Files.readString(sandbox.root().resolve("node_modules/is-number/package.json"))).contains("\"version\": \"7.0.0\"");
      CommandResult use = node(sandbox, "console.log(require('is-number')(42), require('is-number')('x'))");
      assertThat(use.stdout()).isEqualTo("true false\n");

      // The same proxy refuses other hosts, and nothing goes out without it.
      CommandResult refused = node(sandbox, VIA_PROXY, "example.com:443", "registry.npmjs.org:22", "127.0.0.1:443");
      assertThat(refused.stdout()).contains("example.com:443 status 403", "registry.npmjs.org:22 status 403", "127.0.0.1:443 status 403");
      CommandResult plainHttp = node(sandbox, "const http=require('http');const u=new URL(process.env.HTTP_PROXY);"
          + "http.get({host:u.hostname,port:u.port,path:'http://example.com/',headers:{Host:'example.com'}},r=>{let b='';r.on('data',d=>b+=d);"
          + "r.on('end',()=>console.log('status '+r.statusCode+' '+b.trim()))}).on('error',e=>console.log('error '+e.code))");
      assertThat(plainHttp.stdout()).startsWith("status 403").contains("example.com is not an allowed host");
      CommandResult direct = node(sandbox, "require('https').get('https://registry.npmjs.org/is-number',r=>console.log('REACHED '+r.statusCode))"
          + ".on('error',e=>console.log('no route '+e.code))", "");
      assertThat(direct.stdout()).startsWith("no route");
    }
  }

  @Test
  void aKilledJvmLeavesNoSandboxProcessBehind() throws Exception {
    String token = "orphan-" + UUID.randomUUID();
    Path app = Files.createDirectories(base.resolve("host-app"));
    try (LocalSandbox probe = sandbox("probe")) {
      // Only to fail or skip like the other tests where bubblewrap does not work.
    }
    int port = 20000 + (int) (Math.random() * 20000);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    String[] privateDir = {null};
    Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        ServiceHost.class.getName(), app.toString(), token, Integer.toString(port))
        .redirectErrorStream(true).start();
    try {
      BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String ready = null;
      List<String> seen = new ArrayList<>();
      for (String line; (line = reader.readLine()) != null; ) {
        seen.add(line);
        if (line.startsWith("READY ")) {
          ready = line;
          break;
        }
      }
      assertThat(ready).as(String.join("\n", seen)).isNotNull();
      String[] parts = ready.split(" ");
      URI endpoint = URI.create(parts[1]);
      privateDir[0] = parts[2];
      assertThat(ServiceTest.get(endpoint)).contains("\"port\":" + port);
      CommandRunnerTest.assertSomeProcessWith(token);
      CommandRunnerTest.assertSomeProcessWith(privateDir[0]); // the host side of the bridge

      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      CommandRunnerTest.assertNoProcessWith(token);
      CommandRunnerTest.assertNoProcessWith(privateDir[0]);
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
      // What the killed JVM could not clean up: its private directory and its (now empty) cgroups.
      if (privateDir[0] != null) {
        deleteTree(Path.of(privateDir[0]));
      }
      for (String controller : List.of("pids", "memory", "cpu")) {
        Path dir = Path.of("/sys/fs/cgroup", controller, "chatbuilder");
        if (Files.isDirectory(dir)) {
          try (var groups = Files.list(dir)) {
            for (Path g : groups.filter(g -> g.getFileName().toString().startsWith("host-app-")).toList()) {
              Files.deleteIfExists(g);
            }
          }
        }
      }
    }
  }
}
