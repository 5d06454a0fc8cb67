package io.chatbuilder.sandbox.remote;

import com.sun.net.httpserver.HttpServer;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.runtime.DraftRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves the sandboxes of a {@link SandboxRegistry} over HTTP (the protocol is described in the
 * module README), for a {@link RemoteSandbox} on another host to use. Runs on the JDK's built-in
 * HTTP server; request bodies are size-capped and every request needs the bearer token of the
 * sandbox it addresses.
 *
 * <pre>{@code
 * SandboxRegistry registry = new SandboxRegistry();
 * registry.register(localSandbox, token);
 * SandboxServer server = SandboxServer.builder(registry).bind(new InetSocketAddress(8480)).start();
 * }</pre>
 */
public final class SandboxServer implements AutoCloseable {
  static {
    // The JDK server writes response headers and body in separate segments; with Nagle's algorithm
    // on, every small response then waits ~40 ms for the client's delayed ACK. The switch is a
    // JVM-wide property read once when the first server starts, so set it only if the host has not.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer http;
  private final RequestExecutor requestThreads;
  private final ExecutorService processThreads;
  private final SandboxRegistry registry;

  private SandboxServer(Builder b) throws IOException {
    this.registry = b.registry;
    this.requestThreads = new RequestExecutor(pool("sandbox-remote-http-", b.maxThreads), b.inlineShortRequests, CLIENT_IO_LIMIT_MILLIS);
    this.processThreads = pool("sandbox-remote-process-", b.maxThreads);
    disableNagle();
    this.http = HttpServer.create(b.address, 64);
    http.createContext("/", new Router(b.registry, requestThreads, processThreads, b.maxBodyBytes, b.heartbeat.toMillis(),
        Optional.ofNullable(b.draftRuntime)));
    http.setExecutor(requestThreads);
    http.start();
  }

  /**
   * The JDK server writes a response's headers and its body as two segments; with Nagle's algorithm
   * on (its default) the body waits for the client's delayed ACK of the headers, which stalled B8
   * (issue 19) at ~40 ms per operation in some runs (46.6 s for 1,000 operations, against 2.5 s with
   * TCP_NODELAY). The server reads this switch once, when its first instance in the JVM is made, and
   * offers no per-server setting; an explicit value set by the host is left as it is.
   */
  private static void disableNagle() {
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }

  private static final String NODELAY = "sun.net.httpserver.nodelay";
  /**
   * How long the dispatcher waits for one client while serving it inline (its headers, its small
   * reply) before it closes that connection: a client on a working network sends a request's
   * headers in one go, and a stalled one must not hold up every other connection.
   */
  static final long CLIENT_IO_LIMIT_MILLIS = 100;

  public static Builder builder(SandboxRegistry registry) {
    return new Builder(registry);
  }

  /** The port the server listens on (useful when bound to port 0). */
  public int port() {
    return http.getAddress().getPort();
  }

  /** The base URL clients use, e.g. {@code http://127.0.0.1:8480}. */
  public String url() {
    InetSocketAddress address = http.getAddress();
    String host = address.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + address.getPort();
  }

  /**
   * Stops serving at once: open streams are closed and running commands are cancelled (their
   * process trees killed by the sandbox). The registry and its sandboxes stay usable.
   */
  @Override
  public void close() {
    http.stop(0);
    for (SandboxRegistry.Hosted hosted : registry.all()) {
      hosted.processes.cancelAll();
    }
    requestThreads.close();
    processThreads.shutdownNow();
  }

  private static ExecutorService pool(String prefix, int threads) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    // Each SSE stream and each running command holds a thread; threads end when idle.
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Configures a {@link SandboxServer}. */
  public static final class Builder {
    private final SandboxRegistry registry;
    private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private long maxBodyBytes = 64L * 1024 * 1024;
    private int maxThreads = 64;
    private Duration heartbeat = Duration.ofSeconds(10);
    private DraftRuntime draftRuntime;
    private boolean inlineShortRequests = true;

    private Builder(SandboxRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry == null");
    }

    /** Where to listen; default 127.0.0.1 on an ephemeral port. */
    public Builder bind(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address == null");
      return this;
    }

    /** Largest request body accepted; larger ones get 413 {@code too_large}. Default 64 MiB. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes < 1024) {
        throw new IllegalArgumentException("maxBodyBytes must be >= 1024");
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** Threads for requests (streams included) and, separately, for running commands. Default 64. */
    public Builder maxThreads(int maxThreads) {
      if (maxThreads < 2) {
        throw new IllegalArgumentException("maxThreads must be >= 2");
      }
      this.maxThreads = maxThreads;
      return this;
    }

    /**
     * Whether short requests (health, policy, reading, stating and writing a file up to 64 KiB whose
     * body has arrived, no {@code Fencing-Token}) are answered on the HTTP server's dispatcher thread
     * instead of a pool thread, which saves two thread hand-offs per request (default true). Anything
     * that may wait goes to the pool either way; a client that stalls while the dispatcher reads its
     * headers or writes its reply loses its connection after 100 ms. Turn it off to have every
     * request read and answered by the pool, e.g. when untrusted clients can reach the port.
     */
    public Builder inlineShortRequests(boolean inline) {
      this.inlineShortRequests = inline;
      return this;
    }

    /** How often an idle output stream sends a comment line so proxies and clients keep it open. */
    public Builder heartbeat(Duration heartbeat) {
      Objects.requireNonNull(heartbeat, "heartbeat == null");
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be positive");
      }
      this.heartbeat = heartbeat;
      return this;
    }

    /**
     * Serves draft mode (the dev server of each sandbox, keyed by sandbox id as app id) through this
     * runtime of the sandbox host. Without one, draft endpoints answer 501. The preview URLs it
     * reports are passed to clients as they are, so configure it with a host name clients reach.
     */
    public Builder draftRuntime(DraftRuntime draftRuntime) {
      this.draftRuntime = Objects.requireNonNull(draftRuntime, "draftRuntime == null");
      return this;
    }

    /** Binds and starts the server. */
    public SandboxServer start() {
      try {
        return new SandboxServer(this);
      } catch (IOException e) {
        throw new SandboxException("cannot start the sandbox server on " + address + ": " + e.getMessage(), e);
      } catch (UncheckedIOException e) {
        throw new SandboxException("cannot start the sandbox server on " + address + ": " + e.getMessage(), e);
      }
    }
  }
}
