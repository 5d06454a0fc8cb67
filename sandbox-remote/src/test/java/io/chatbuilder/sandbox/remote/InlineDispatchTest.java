package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.ForwardingSandbox;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Short requests are answered on the HTTP server's dispatcher thread ({@link RequestExecutor});
 * nothing that waits may ever hold that thread: a running command and its output stream, a slow
 * sandbox operation, a body still arriving, a client that stalls in its headers. Each case would
 * hang the later calls if the dispatcher were held; the calls' own time limit (the client's call
 * timeout, a socket timeout) only turns such a hang into a failure, it asserts no speed.
 */
class InlineDispatchTest {
  private static final Duration HANG_GUARD = Duration.ofSeconds(30);

  private final FakeCommands commands = new FakeCommands();
  private final CountDownLatch searchEntered = new CountDownLatch(1);
  private final CountDownLatch releaseSearch = new CountDownLatch(1);
  private final CountDownLatch readArrived = new CountDownLatch(1);
  private SandboxServer server;
  private RemoteSandbox slow;
  private RemoteSandbox other;
  private String slowToken;

  @BeforeEach
  void start() {
    SandboxRegistry registry = new SandboxRegistry();
    slowToken = SandboxRegistry.newToken();
    String otherToken = SandboxRegistry.newToken();
    InMemorySandbox slowBackend = commands.install(InMemorySandbox.builder("slow")).build();
    registry.register(new ForwardingSandbox(slowBackend) {
      @Override
      public SearchResult search(SearchQuery q) {
        // Holds the sandbox's lock while it works, as a LocalSandbox search does.
        synchronized (slowBackend) {
          searchEntered.countDown();
          await(releaseSearch);
          return super.search(q);
        }
      }

      @Override
      public io.chatbuilder.core.sandbox.FileContent read(String p) {
        if (p.equals("src/waits.txt")) {
          readArrived.countDown();
        }
        return super.read(p);
      }
    }, slowToken);
    registry.register(InMemorySandbox.builder("other").build(), otherToken);
    server = SandboxServer.builder(registry).start();
    slow = RemoteSandbox.builder(server.url(), "slow", slowToken).callTimeout(HANG_GUARD).build();
    other = RemoteSandbox.builder(server.url(), "other", otherToken).callTimeout(HANG_GUARD).build();
    slow.write("src/a.txt", bytes("slow a"));
    other.write("src/b.txt", bytes("other b"));
  }

  @AfterEach
  void stop() {
    releaseSearch.countDown();
    commands.gate.countDown();
    slow.close();
    other.close();
    server.close();
  }

  @Test
  void aLongRunningCommandDoesNotDelayAConcurrentShortRead() throws Exception {
    Cancellation cancellation = new Cancellation();
    CompletableFuture<CommandResult> run = CompletableFuture.supplyAsync(() ->
        slow.run(CommandRequest.of("npm", "hang"), CommandListener.NONE, cancellation));
    assertThat(commands.hanging.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();

    // The command runs and its output stream is open on the server while these are answered.
    assertThat(slow.read("src/a.txt").bytes()).isEqualTo(bytes("slow a"));
    assertThat(other.read("src/b.txt").bytes()).isEqualTo(bytes("other b"));
    assertThat(slow.write("src/c.txt", bytes("c"))).isNotNull();
    assertThat(run).isNotDone();

    cancellation.cancel();
    assertThat(run.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).cancelled()).isTrue();
  }

  @Test
  void aRequestWaitingForABusySandboxDoesNotDelayOtherSandboxes() throws Exception {
    slow.write("src/waits.txt", bytes("waits"));
    CompletableFuture<SearchResult> search = CompletableFuture.supplyAsync(() -> slow.search(SearchQuery.literal("a")));
    assertThat(searchEntered.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();
    // A short read of the busy sandbox: it waits for the search's lock, on a pool thread.
    CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> slow.read("src/waits.txt").bytes());
    assertThat(readArrived.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();

    assertThat(other.read("src/b.txt").bytes()).isEqualTo(bytes("other b"));
    other.write("src/b2.txt", bytes("b2"));
    assertThat(other.stat("src/b2.txt")).isPresent();
    assertThat(search).isNotDone();
    assertThat(waiting).isNotDone();

    releaseSearch.countDown();
    assertThat(search.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).matches()).isNotEmpty();
    assertThat(waiting.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isEqualTo(bytes("waits"));
    slow.write("src/a2.txt", bytes("a2"));
    assertThat(slow.read("src/a2.txt").bytes()).isEqualTo(bytes("a2"));
  }

  @Test
  void aClientStalledInItsHeadersLosesItsConnectionAndOthersAreServed() throws Exception {
    try (Socket stalled = new Socket("127.0.0.1", server.port())) {
      stalled.setSoTimeout((int) HANG_GUARD.toMillis());
      OutputStream out = stalled.getOutputStream();
      out.write(("GET /v1/sandboxes/slow/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + slowToken)
          .getBytes(StandardCharsets.US_ASCII)); // no end of line, no end of headers
      out.flush();

      assertThat(other.read("src/b.txt").bytes()).isEqualTo(bytes("other b"));
      assertThat(slow.read("src/a.txt").bytes()).isEqualTo(bytes("slow a"));
      // The server closed the stalled connection without an answer (a read timeout would throw).
      assertThat(stalled.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void aBodyStillArrivingIsReadOnThePoolAndApplied() throws Exception {
    byte[] body = bytes("0123456789");
    try (Socket client = new Socket("127.0.0.1", server.port())) {
      client.setSoTimeout((int) HANG_GUARD.toMillis());
      OutputStream out = client.getOutputStream();
      out.write(("PUT /v1/sandboxes/slow/files/content?path=src/late.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + slowToken + "\r\nContent-Length: " + body.length + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, 4);
      out.flush();

      // The dispatcher is free while the rest of the body is awaited.
      assertThat(other.read("src/b.txt").bytes()).isEqualTo(bytes("other b"));
      assertThat(slow.read("src/a.txt").bytes()).isEqualTo(bytes("slow a"));

      out.write(body, 4, body.length - 4);
      out.flush();
      String status = statusLine(client.getInputStream());
      assertThat(status).startsWith("HTTP/1.1 201");
    }
    assertThat(slow.read("src/late.txt").bytes()).isEqualTo(body);
  }

  @Test
  void largeRepliesAndBodiesTakeThePoolAndArriveWhole() {
    byte[] large = new byte[3 * 1024 * 1024];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) ('a' + i % 26);
    }
    slow.write("src/large.txt", large);
    assertThat(slow.read("src/large.txt").bytes()).isEqualTo(large);
    byte[] medium = Arrays.copyOf(large, 20_000); // above the inline reply size, below the inline body size
    other.write("src/medium.txt", medium);
    assertThat(other.read("src/medium.txt").bytes()).isEqualTo(medium);
  }

  @Test
  void withInlineServingOffEveryRequestStillWorks() {
    SandboxRegistry registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    registry.register(InMemorySandbox.builder("pool-only").build(), token);
    try (SandboxServer pooled = SandboxServer.builder(registry).inlineShortRequests(false).start();
        RemoteSandbox client = RemoteSandbox.builder(pooled.url(), "pool-only", token).callTimeout(HANG_GUARD).build()) {
      client.write("x.txt", bytes("x"));
      assertThat(client.read("x.txt").bytes()).isEqualTo(bytes("x"));
      assertThat(client.files()).isEqualTo(new java.util.TreeMap<>(Map.of("x.txt", 1L)));
    }
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      line.append((char) c);
    }
    return line.toString().trim();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
