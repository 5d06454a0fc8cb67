package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.CommandDeniedException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services (a dev server): a real {@code node} HTTP server from the app directory, started through
 * {@link LocalSandbox#startService}, reached from the host at {@code endpoint()} and nowhere else,
 * killed with its whole tree on {@code close()}.
 */
class ServiceTest {
  /** An HTTP server on 127.0.0.1:argv[2] that answers with its env and spawns a child carrying argv[3]. */
  static final String SERVER = "const http=require('http');const {spawn}=require('child_process');"
      + "const port=+process.argv[2];"
      + "spawn(process.execPath,['-e','setInterval(()=>{},1000)',process.argv[3]||'child'],{stdio:'ignore'});"
      + "http.createServer((q,r)=>{"
      + "  if(q.url==='/echo'){let b='';q.on('data',d=>b+=d);q.on('end',()=>r.end('echo:'+b));return;}"
      + "  r.end(JSON.stringify({port,home:process.env.HOME,greeting:process.env.GREETING||null}));"
      + "}).listen(port,'127.0.0.1',()=>console.log('listening on '+port));";

  @TempDir Path base;

  private LocalSandbox open(String name, LocalSandbox.Builder builder) {
    LocalSandbox sandbox = builder.build();
    if (sandbox.isolated()) {
      BwrapSupport.requireIsolated(sandbox);
    }
    sandbox.write("server.js", SERVER.getBytes(StandardCharsets.UTF_8));
    return sandbox;
  }

  static String get(URI uri) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Exception last = null;
    // The service needs a moment to listen after its process started.
    for (int i = 0; i < 200; i++) {
      try {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        return response.body();
      } catch (IOException e) {
        last = e;
        Thread.sleep(50);
      }
    }
    throw last;
  }

  @Test
  void isolatedServiceIsReachedThroughItsBridgeOnlyAndDiesWithItsTreeOnClose() throws Exception {
    String token = "svc-" + UUID.randomUUID();
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    CommandListener listener = new CommandListener() {
      @Override
      public void onStdout(String chunk) {
        output.add(chunk);
      }
    };
    try (LocalSandbox sandbox = open("app", LocalSandbox.builder(base.resolve("app")))) {
      int port = 20000 + (int) (Math.random() * 20000);
      SandboxService service = sandbox.startService(new ServiceRequest("dev", List.of("node", "server.js",
          Integer.toString(port), token), "", Map.of("GREETING", "hi"), port), listener);
      assertThat(service.isolated()).isTrue();
      assertThat(service.name()).isEqualTo("dev");
      URI endpoint = service.endpoint();
      assertThat(endpoint.getHost()).isEqualTo("127.0.0.1");
      assertThat(endpoint.getPort()).as("the host reaches the bridge, not the service's own port").isNotEqualTo(port);

      String body = get(endpoint);
      assertThat(body).contains("\"port\":" + port, "\"greeting\":\"hi\"");
      assertThat(body).doesNotContain(System.getProperty("user.home") + "\"");
      assertThat(String.join("", output)).contains("listening on " + port);

      // A request body and the answer pass both ways through the byte pipe.
      HttpResponse<String> echoed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(endpoint.resolve("/echo"))
          .POST(HttpRequest.BodyPublishers.ofString("x".repeat(200_000))).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(echoed.body()).isEqualTo("echo:" + "x".repeat(200_000));

      // The service's own port is in the sandbox's network only, not on the host's loopback.
      assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close()).isInstanceOf(ConnectException.class);
      assertThat(service.isAlive()).isTrue();
      CommandRunnerTest.assertSomeProcessWith(token);

      service.close();
      assertThat(service.isAlive()).isFalse();
      assertThat(service.exited().get(10, TimeUnit.SECONDS)).isEqualTo(-1);
      CommandRunnerTest.assertNoProcessWith(token);
      assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), endpoint.getPort()).close())
          .as("the bridge closes with the service").isInstanceOf(ConnectException.class);
      service.close(); // idempotent
    }
  }

  @Test
  void closingTheSandboxKillsItsServices() throws Exception {
    String token = "svc-" + UUID.randomUUID();
    LocalSandbox sandbox = open("app", LocalSandbox.builder(base.resolve("app")));
    int port = 20000 + (int) (Math.random() * 20000);
    SandboxService service = sandbox.startService(new ServiceRequest("dev", List.of("node", "server.js",
        Integer.toString(port), token), "", Map.of(), port), CommandListener.NONE);
    get(service.endpoint());
    sandbox.close();
    assertThat(service.exited().get(10, TimeUnit.SECONDS)).isEqualTo(-1);
    CommandRunnerTest.assertNoProcessWith(token);
  }

  @Test
  void aServiceThatExitsCompletesWithItsExitCode() throws Exception {
    try (LocalSandbox sandbox = open("app", LocalSandbox.builder(base.resolve("app")))) {
      sandbox.write("quit.js", "setTimeout(()=>process.exit(7), 300)".getBytes(StandardCharsets.UTF_8));
      SandboxService service = sandbox.startService(new ServiceRequest("quit", List.of("node", "quit.js"), "", Map.of(), 4000),
          CommandListener.NONE);
      assertThat(service.exited().get(30, TimeUnit.SECONDS)).isEqualTo(7);
      assertThat(service.isAlive()).isFalse();
    }
  }

  @Test
  void theProgramIsCheckedByThePolicyLikeACommand() {
    try (LocalSandbox sandbox = open("app", LocalSandbox.builder(base.resolve("app")))) {
      assertThatThrownBy(() -> sandbox.startService(new ServiceRequest("sh", List.of("sh", "-c", "id"), "", Map.of(), 5173),
          CommandListener.NONE)).isInstanceOf(CommandDeniedException.class);
      assertThatThrownBy(() -> sandbox.startService(new ServiceRequest("dev", List.of("node", "../outside.js"), "", Map.of(), 5173),
          CommandListener.NONE)).isInstanceOf(CommandDeniedException.class);
    }
  }

  @Test
  void withTheHostNetworkOrUnisolatedTheEndpointIsTheServicesOwnPort() throws Exception {
    try (LocalSandbox shared = open("shared", LocalSandbox.builder(base.resolve("shared"))
        .policy(CommandPolicy.builder().allowNetwork(true).build()))) {
      int port = 20000 + (int) (Math.random() * 20000);
      SandboxService service = shared.startService(new ServiceRequest("dev", List.of("node", "server.js", Integer.toString(port)),
          "", Map.of(), port), CommandListener.NONE);
      assertThat(service.isolated()).isTrue();
      assertThat(service.endpoint()).isEqualTo(URI.create("http://127.0.0.1:" + port + "/"));
      assertThat(get(service.endpoint())).contains("\"port\":" + port);
      service.close();
    }
    String token = "svc-" + UUID.randomUUID();
    try (LocalSandbox plain = open("plain", LocalSandbox.builder(base.resolve("plain")).unisolated())) {
      int port = 20000 + (int) (Math.random() * 20000);
      SandboxService service = plain.startService(new ServiceRequest("dev", List.of("node", "server.js", Integer.toString(port),
          token), "", Map.of(), port), CommandListener.NONE);
      assertThat(service.isolated()).isFalse();
      assertThat(service.endpoint()).isEqualTo(URI.create("http://127.0.0.1:" + port + "/"));
      assertThat(get(service.endpoint())).contains("\"port\":" + port);
      service.close();
      CommandRunnerTest.assertNoProcessWith(token);
    }
  }

  @Test
  void webSocketStyleUpgradedConnectionsPassBothWays() throws Exception {
    // A raw TCP echo after an HTTP/1.1 upgrade handshake: the bridge is a byte pipe, so it just works.
    String upgrade = "const http=require('http');const s=http.createServer();"
        + "s.on('upgrade',(req,sock)=>{sock.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n');"
        + "sock.on('data',d=>sock.write('got:'+d));sock.on('end',()=>sock.end('bye'))});"
        + "s.listen(+process.argv[2],'127.0.0.1');";
    try (LocalSandbox sandbox = open("app", LocalSandbox.builder(base.resolve("app")))) {
      sandbox.write("upgrade.js", upgrade.getBytes(StandardCharsets.UTF_8));
      int port = 20000 + (int) (Math.random() * 20000);
      SandboxService service = sandbox.startService(new ServiceRequest("ws", List.of("node", "upgrade.js", Integer.toString(port)),
          "", Map.of(), port), CommandListener.NONE);
      String answer = null;
      for (int attempt = 0; attempt < 200 && answer == null; attempt++) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), service.endpoint().getPort())) {
          socket.setSoTimeout(10_000);
          OutputStream out = socket.getOutputStream();
          out.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          InputStream in = socket.getInputStream();
          String head = readUntil(in, "\r\n\r\n");
          if (head == null) {
            Thread.sleep(50);
            continue;
          }
          assertThat(head).startsWith("HTTP/1.1 101");
          out.write("ping".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          assertThat(readUntil(in, "got:ping")).isNotNull();
          socket.shutdownOutput(); // half-close: the server still answers after our end
          answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
      }
      assertThat(answer).isEqualTo("bye");
      service.close();
    }
  }

  private static String readUntil(InputStream in, String end) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.toString().endsWith(end)) {
        return sb.toString();
      }
    }
    return null;
  }

  @Test
  void servicesGetThePrivateHomeNotTheHosts() throws Exception {
    try (LocalSandbox sandbox = open("app", LocalSandbox.builder(base.resolve("app")))) {
      int port = 20000 + (int) (Math.random() * 20000);
      SandboxService service = sandbox.startService(new ServiceRequest("dev", List.of("node", "server.js", Integer.toString(port)),
          "", Map.of("HOME", "/root", "PATH", "/evil"), port), CommandListener.NONE);
      String body = get(service.endpoint());
      assertThat(body).doesNotContain("\"home\":\"/root\"").doesNotContain("\"home\":\"" + System.getProperty("user.home") + "\"");
      assertThat(Files.exists(base.resolve("app/server.js"))).isTrue();
      service.close();
    }
  }
}
