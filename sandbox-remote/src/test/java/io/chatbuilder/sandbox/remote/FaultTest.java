package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.ForwardingSandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.WriteOutcome;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real network faults on loopback: cut streams, lost responses, restarts, slow and oversized calls. */
class FaultTest {
  private final String token = SandboxRegistry.newToken();
  private final FakeCommands commands = new FakeCommands();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final SandboxRegistry registry = new SandboxRegistry();

  @AfterEach
  void closeAll() throws Exception {
    commands.gate.countDown();
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T resource) {
    resources.add(resource);
    return resource;
  }

  private SandboxServer serve(Sandbox sandbox, SandboxServer.Builder config) {
    registry.register(sandbox, token);
    return closeLater(config.start());
  }

  private RemoteSandbox client(String url, RemoteSandbox.Builder... configured) {
    RemoteSandbox.Builder b = configured.length > 0 ? configured[0] : RemoteSandbox.builder(url, "app", token);
    return closeLater(b.build());
  }

  @Test
  void aStreamCutMidEventIsReattachedAndEveryLineArrivesExactlyOnce() throws IOException {
    SandboxServer server = serve(commands.install(InMemorySandbox.builder("app")).build(), SandboxServer.builder(registry));
    FaultProxy proxy = closeLater(new FaultProxy(server.port()));
    RemoteSandbox sandbox = client(proxy.url());
    proxy.cutResponseAt("vite line 7");

    List<String> lines = new CopyOnWriteArrayList<>();
    CommandResult result = sandbox.run(CommandRequest.of("vite", "gated"), new CommandListener() {
      @Override
      public void onStdout(String chunk) {
        lines.add(chunk);
        if (chunk.equals("vite line 10\n")) {
          // Lines 11-20 are produced only now, while a second cut is armed.
          proxy.cutResponseAt("vite line 15");
          commands.gate.countDown();
        }
      }
    }, new Cancellation());

    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      expected.add("vite line " + i + "\n");
    }
    assertThat(proxy.cuts.get()).as("both cuts happened").isEqualTo(2);
    assertThat(lines).containsExactlyElementsOf(expected);
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).isEqualTo(String.join("", expected));
  }

  @Test
  void aWriteWhoseResponseIsLostIsRetriedAndAppliedOnce() throws IOException {
    AtomicInteger writesOfV2 = new AtomicInteger();
    Sandbox counting = new ForwardingSandbox(InMemorySandbox.builder("app").build()) {
      @Override
      public WriteOutcome write(String path, byte[] content) {
        if (new String(content, StandardCharsets.UTF_8).equals("v2")) {
          writesOfV2.incrementAndGet();
        }
        return super.write(path, content);
      }
    };
    SandboxServer server = serve(counting, SandboxServer.builder(registry));
    FaultProxy proxy = closeLater(new FaultProxy(server.port()));
    RemoteSandbox sandbox = client(proxy.url());
    assertThat(sandbox.write("x.txt", "v1".getBytes(StandardCharsets.UTF_8))).isEqualTo(WriteOutcome.CREATED);

    proxy.swallowResponses.set(1);
    // Applied by the server, answer lost, retried with the same Idempotency-Key: the retry gets the
    // first answer (MODIFIED) instead of running again (which would say UNCHANGED).
    assertThat(sandbox.write("x.txt", "v2".getBytes(StandardCharsets.UTF_8))).isEqualTo(WriteOutcome.MODIFIED);
    assertThat(proxy.swallowed.get()).isEqualTo(1);
    assertThat(writesOfV2.get()).isEqualTo(1);
    assertThat(sandbox.read("x.txt").text()).contains("v2");
  }

  @Test
  void anIdempotencyKeyReplaysItsAnswerAndRefusesADifferentRequest() throws IOException {
    SandboxServer server = serve(InMemorySandbox.builder("app").build(), SandboxServer.builder(registry));
    OkHttpClient http = new OkHttpClient();
    Request.Builder put = new Request.Builder().url(server.url() + "/v1/sandboxes/app/files/content?path=a.txt")
        .header("Authorization", "Bearer " + token).header("Idempotency-Key", "k-1");
    MediaType octets = MediaType.get("application/octet-stream");
    for (int attempt = 0; attempt < 2; attempt++) {
      try (Response r = http.newCall(put.put(RequestBody.create("one", octets)).build()).execute()) {
        assertThat(r.code()).isEqualTo(201);
        assertThat(r.body().string()).contains("\"outcome\":\"created\"");
      }
    }
    try (Response r = http.newCall(put.put(RequestBody.create("two", octets)).build()).execute()) {
      assertThat(r.code()).isEqualTo(409);
      assertThat(r.body().string()).contains("\"code\":\"conflict\"", "already used for a different request");
    }
    assertThat(registry.authorize("app", token).orElseThrow().sandbox.read("a.txt").text()).contains("one");
  }

  @Test
  void theClientSurvivesAServerRestartBetweenCalls() throws IOException {
    InMemorySandbox backend = InMemorySandbox.builder("app").build();
    SandboxServer first = SandboxServer.builder(registry).start();
    registry.register(backend, token);
    int port = first.port();
    RemoteSandbox sandbox = client(first.url());
    sandbox.write("a.txt", "before".getBytes(StandardCharsets.UTF_8));
    first.close();

    SandboxServer second = closeLater(SandboxServer.builder(registry)
        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).start());
    assertThat(second.port()).isEqualTo(port);
    assertThat(sandbox.read("a.txt").text()).contains("before");
    assertThat(sandbox.write("a.txt", "after".getBytes(StandardCharsets.UTF_8))).isEqualTo(WriteOutcome.MODIFIED);
  }

  @Test
  void refusedConnectionsAreRetriedForSafeAndKeyedCalls() throws IOException {
    SandboxServer server = serve(InMemorySandbox.builder("app").file("a.txt", "hello").build(), SandboxServer.builder(registry));
    FaultProxy proxy = closeLater(new FaultProxy(server.port()));
    OkHttpClient shared = new OkHttpClient();
    RemoteSandbox sandbox = client(null, RemoteSandbox.builder(proxy.url(), "app", token).client(shared));
    proxy.refuseConnections.set(2);
    assertThat(sandbox.read("a.txt").text()).contains("hello");
    assertThat(proxy.refused.get()).isEqualTo(2);
    shared.connectionPool().evictAll(); // the next call needs a new connection, which is refused twice
    proxy.refuseConnections.set(2);
    assertThat(sandbox.write("b.txt", new byte[] {1})).isEqualTo(WriteOutcome.CREATED);
    assertThat(proxy.refused.get()).isEqualTo(4);
  }

  @Test
  void anUnreachableHostGivesAClearErrorAfterTheRetries() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    RemoteSandbox sandbox = client(null, RemoteSandbox.builder("http://127.0.0.1:" + deadPort, "app", token)
        .retryPolicy(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40), 0.5)));
    assertThatThrownBy(() -> sandbox.read("a.txt"))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("unreachable")
        .hasMessageContaining("failed 3 times");
  }

  @Test
  void noRetryPolicyTriesAnUnreachableHostOnce() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    RemoteSandbox sandbox = client(null, RemoteSandbox.builder("http://127.0.0.1:" + deadPort, "app", token)
        .retryPolicy(RetryPolicy.NONE));
    assertThatThrownBy(() -> sandbox.read("a.txt"))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("failed 1 times");
  }

  @Test
  void aSlowResponseBecomesATimeoutWithAClearMessageAndIsNotRetried() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    Sandbox slow = new ForwardingSandbox(InMemorySandbox.builder("app").file("slow.txt", "zzz").build()) {
      @Override
      public FileContent read(String path) {
        reads.incrementAndGet();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return super.read(path);
      }
    };
    SandboxServer server = serve(slow, SandboxServer.builder(registry));
    RemoteSandbox sandbox = client(null, RemoteSandbox.builder(server.url(), "app", token).callTimeout(Duration.ofMillis(300)));
    try {
      assertThatThrownBy(() -> sandbox.read("slow.txt"))
          .isInstanceOf(TimeoutException.class)
          .hasMessageContaining("did not answer 'read slow.txt'")
          .hasMessageContaining("call timeout of 300 ms");
      assertThat(reads.get()).isEqualTo(1);
    } finally {
      release.countDown();
    }
  }

  @Test
  void oversizedBodiesAreRejectedByTheServerWith413() throws IOException {
    SandboxServer server = serve(InMemorySandbox.builder("app").build(), SandboxServer.builder(registry).maxBodyBytes(64 * 1024));
    RemoteSandbox sandbox = client(server.url());
    assertThatThrownBy(() -> sandbox.write("big.bin", new byte[200 * 1024]))
        .isInstanceOf(TooLargeException.class)
        .hasMessageContaining("over the server's limit of 65536 bytes");
    assertThatThrownBy(() -> sandbox.write("huge.bin", new byte[8 * 1024 * 1024]))
        .isInstanceOf(TooLargeException.class);
    assertThatThrownBy(() -> sandbox.apply(Map.of("a.bin", Optional.of(new byte[100 * 1024]))))
        .isInstanceOf(TooLargeException.class);
    assertThat(sandbox.files()).isEmpty();
    // A chunked body without Content-Length is capped while it is read.
    OkHttpClient http = new OkHttpClient();
    RequestBody chunked = new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("application/octet-stream");
      }

      @Override
      public void writeTo(okio.BufferedSink sink) throws IOException {
        for (int i = 0; i < 100; i++) {
          sink.write(new byte[1024]);
        }
      }
    };
    try (Response r = http.newCall(new Request.Builder().url(server.url() + "/v1/sandboxes/app/files/content?path=c.bin")
        .header("Authorization", "Bearer " + token).put(chunked).build()).execute()) {
      assertThat(r.code()).isEqualTo(413);
      assertThat(r.body().string()).contains("\"code\":\"too_large\"");
    }
    assertThat(sandbox.files()).isEmpty();
  }

  @Test
  void ifMatchDetectsAConcurrentEdit() throws IOException {
    SandboxServer server = serve(InMemorySandbox.builder("app").file("a.txt", "v1").build(), SandboxServer.builder(registry));
    RemoteSandbox sandbox = client(server.url());
    try (Response r = new OkHttpClient().newCall(new Request.Builder().url(server.url() + "/v1/sandboxes/app/files/content?path=a.txt")
        .header("Authorization", "Bearer " + token).build()).execute()) {
      assertThat(r.header("ETag")).isEqualTo("\"" + ContentHash.sha256("v1".getBytes(StandardCharsets.UTF_8)) + "\"");
    }
    String seen = ContentHash.sha256(sandbox.read("a.txt").bytes());
    sandbox.write("a.txt", "someone else".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> sandbox.writeIfMatch("a.txt", "mine".getBytes(StandardCharsets.UTF_8), seen))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("changed by someone else");
    assertThat(sandbox.read("a.txt").text()).contains("someone else");
    String current = ContentHash.sha256(sandbox.read("a.txt").bytes());
    assertThat(sandbox.writeIfMatch("a.txt", "mine".getBytes(StandardCharsets.UTF_8), current)).isEqualTo(WriteOutcome.MODIFIED);
    assertThatThrownBy(() -> sandbox.writeIfMatch("gone.txt", new byte[] {1}, current)).isInstanceOf(ConflictException.class);
    assertThat(sandbox.stat("a.txt")).hasValueSatisfying(e -> assertThat(e.size()).isEqualTo(4));
    assertThat(sandbox.stat("gone.txt")).isEmpty();
    assertThat(sandbox.snapshot(List.of("a.txt", "gone.txt")))
        .containsOnlyKeys("a.txt", "gone.txt")
        .hasEntrySatisfying("gone.txt", v -> assertThat(v).isEmpty());
  }
}
