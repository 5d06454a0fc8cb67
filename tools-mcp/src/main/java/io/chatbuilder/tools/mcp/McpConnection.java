package io.chatbuilder.tools.mcp;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.TimeoutException;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The client side of one MCP server: connects (initialize, then every page of {@code tools/list}),
 * calls tools under the per-call timeout and the run's cancellation, and reconnects on the next
 * call after the server died or its transport closed. Every fault becomes a
 * {@link ChatBuilderException} that names the server; nothing of the SDK's escapes.
 */
final class McpConnection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpConnection.class);
  /** More pages than any real server has: a server that hands out cursors forever is refused. */
  private static final int MAX_PAGES = 100;
  private static final int STDERR_LINES = 20;

  private final ServerConfig config;
  private final Consumer<List<McpSchema.Tool>> toolsChanged;
  private final Deque<String> stderr = new ArrayDeque<>();
  private final Object lock = new Object();
  private final Map<CompletableFuture<?>, McpAsyncClient> inFlight = new ConcurrentHashMap<>();
  private McpAsyncClient client; // null: down, the next call connects
  private String lastFault = "";
  private boolean closed;

  private McpConnection(ServerConfig config, Consumer<List<McpSchema.Tool>> toolsChanged) {
    this.config = config;
    this.toolsChanged = toolsChanged;
  }

  /** Connects and lists the server's tools; throws a clear error when it cannot start or does not answer. */
  static McpConnection open(ServerConfig config, Consumer<List<McpSchema.Tool>> toolsChanged, List<McpSchema.Tool> toolsOut) {
    McpConnection connection = new McpConnection(config, toolsChanged);
    try {
      McpAsyncClient client = connection.connect();
      toolsOut.addAll(connection.listTools(client));
      synchronized (connection.lock) {
        connection.client = client;
      }
      return connection;
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  String serverName() {
    return config.name();
  }

  private McpAsyncClient connect() {
    if (config.transport() instanceof ServerConfig.Stdio s && !executable(s)) {
      // The SDK starts the process on another thread and drops the failure: initialize would wait out its timeout.
      throw new ChatBuilderException(ErrorCode.INTERNAL, config.describe() + " could not start: '" + s.command()
          + "' is not an executable file" + (s.command().contains("/") ? "" : " on PATH"));
    }
    McpClientTransport transport = transport();
    McpAsyncClient c = McpClient.async(transport)
        .clientInfo(new McpSchema.Implementation("chatbuilder", version()))
        .requestTimeout(longest(config.callTimeout(), config.initTimeout()))
        .initializationTimeout(config.initTimeout())
        .toolsChangeConsumer(tools -> Mono.fromRunnable(() -> toolsChanged.accept(tools)))
        .build();
    try {
      await(c.initialize(), config.initTimeout(), null, "initialize", null);
      if (transport instanceof StdioTransport stdio) {
        stdio.process().ifPresent(p -> p.onExit().thenRun(() -> exited(c, p.exitValue())));
      }
      return c;
    } catch (RuntimeException e) {
      closeQuietly(c);
      throw e instanceof TimeoutException t
          ? new TimeoutException(config.describe() + " did not answer initialize within " + human(config.initTimeout())
              + stderrTail(), t)
          : new ChatBuilderException(ErrorCode.INTERNAL, config.describe() + " could not start: " + e.getMessage()
              + stderrTail(), e);
    }
  }

  private List<McpSchema.Tool> listTools(McpAsyncClient c) {
    List<McpSchema.Tool> tools = new ArrayList<>();
    Set<String> cursors = new HashSet<>();
    String cursor = null;
    for (int page = 0; ; page++) {
      McpSchema.ListToolsResult result;
      try {
        result = await(cursor == null ? c.listTools() : c.listTools(cursor), config.initTimeout(), null, "tools/list", c);
      } catch (RuntimeException e) {
        throw new ChatBuilderException(ErrorCode.INTERNAL, config.describe() + " could not list its tools: " + e.getMessage(), e);
      }
      if (result.tools() != null) {
        tools.addAll(result.tools());
      }
      cursor = result.nextCursor();
      if (cursor == null || cursor.isEmpty()) {
        return tools;
      }
      if (!cursors.add(cursor) || page + 1 >= MAX_PAGES) {
        throw new ChatBuilderException(ErrorCode.INTERNAL, config.describe() + " pages its tools/list without end (cursor "
            + abbreviate(cursor) + " after " + (page + 1) + " pages)");
      }
    }
  }

  /** Calls a tool; every failure is a ChatBuilderException naming the server. */
  McpSchema.CallToolResult call(String tool, Map<String, Object> arguments, Cancellation cancellation) {
    McpAsyncClient c = current();
    try {
      return await(c.callTool(new McpSchema.CallToolRequest(tool, arguments)), config.callTimeout(), cancellation, tool, c);
    } catch (TimeoutException e) {
      throw new TimeoutException(tool + " on MCP server '" + config.name() + "' timed out after " + human(config.callTimeout())
          + "; the call was cancelled", e);
    } catch (CancelledException e) {
      throw e;
    } catch (McpRefusal e) {
      // The server answered with a JSON-RPC error: it is alive, the call was wrong.
      throw new InvalidArgumentException("MCP server '" + config.name() + "' refused " + tool + ": " + e.getMessage());
    } catch (RuntimeException e) {
      markDown(c, e.getMessage());
      throw new ChatBuilderException(ErrorCode.INTERNAL, "MCP server '" + config.name() + "' failed during " + tool + ": "
          + e.getMessage() + stderrTail() + "; the next call restarts the connection");
    }
  }

  /** The live client, connecting first when the server is down. */
  private McpAsyncClient current() {
    synchronized (lock) {
      if (closed) {
        throw new ChatBuilderException(ErrorCode.INTERNAL, "MCP server '" + config.name() + "' is closed (the host shut it down)");
      }
      if (client != null) {
        return client;
      }
      try {
        client = connect();
        LOG.info("{} reconnected", config.describe());
        return client;
      } catch (ChatBuilderException e) {
        throw new ChatBuilderException(ErrorCode.INTERNAL, "MCP server '" + config.name() + "' is down"
            + (lastFault.isEmpty() ? "" : " (" + lastFault + ")") + " and could not be restarted: " + e.getMessage(), e);
      }
    }
  }

  private void markDown(McpAsyncClient c, String why) {
    synchronized (lock) {
      if (client != c) {
        return; // already replaced or closed (e.g. the exit that close() itself caused)
      }
      client = null;
      lastFault = why == null ? "" : abbreviate(why);
    }
    closeQuietly(c);
  }

  /**
   * Waits for a reply within the timeout, giving up at once when the run is cancelled (disposing the
   * request). Timeouts become {@link TimeoutException}, JSON-RPC errors {@link McpRefusal}.
   */
  private <T> T await(Mono<T> reply, Duration timeout, Cancellation cancellation, String what, McpAsyncClient owner) {
    CompletableFuture<T> future = reply.timeout(timeout).toFuture();
    if (owner != null) {
      inFlight.put(future, owner);
    }
    Cancellation.Registration registration = cancellation == null ? () -> {} : cancellation.onCancel(() -> future.cancel(true));
    try (registration) {
      return future.get();
    } catch (CancellationException e) {
      throw new CancelledException(what + " on MCP server '" + config.name() + "' was stopped: the run was cancelled");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new CancelledException(what + " on MCP server '" + config.name() + "' was interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      for (Throwable t = cause; t != null; t = t.getCause()) {
        if (t instanceof java.util.concurrent.TimeoutException) {
          throw new TimeoutException(what + " timed out after " + human(timeout), t);
        }
      }
      if (cause instanceof McpError error && error.getJsonRpcError() != null) {
        throw new McpRefusal(error.getJsonRpcError().message());
      }
      String message = McpError.aggregateExceptionMessages(cause);
      throw new IllegalStateException(message == null || message.isBlank() ? cause.toString() : abbreviate(message), cause);
    } finally {
      inFlight.remove(future);
    }
  }

  /** The stdio server's process ended: its requests in flight fail now, and the next call starts it again. */
  private void exited(McpAsyncClient c, int code) {
    String why = "the server process exited with code " + code;
    inFlight.forEach((future, owner) -> {
      if (owner == c) {
        future.completeExceptionally(new IllegalStateException(why));
      }
    });
    markDown(c, why);
  }

  private McpClientTransport transport() {
    if (config.transport() instanceof ServerConfig.Stdio s) {
      ServerParameters parameters = ServerParameters.builder(s.command()).args(s.args()).env(withDefaults(s.env())).build();
      StdioTransport transport = new StdioTransport(parameters, McpJsonDefaults.getMapper(), config.maxMessageBytes(),
          s.workingDirectory());
      transport.setStdErrorHandler(this::stderrLine);
      return transport;
    }
    ServerConfig.StreamableHttp h = (ServerConfig.StreamableHttp) config.transport();
    URI url = h.url();
    String base = url.getScheme() + "://" + url.getRawAuthority();
    String endpoint = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    HttpRequest.Builder request = HttpRequest.newBuilder();
    h.headers().forEach(request::header);
    return HttpClientStreamableHttpTransport.builder(base).endpoint(endpoint).requestBuilder(request)
        .jsonMapper(McpJsonDefaults.getMapper()).connectTimeout(config.initTimeout())
        .maxResponseSize(config.maxMessageBytes()).build();
  }

  /** ServerParameters replaces its inherited defaults (PATH, HOME, ...) when given env; keep them under the configured ones. */
  private static Map<String, String> withDefaults(Map<String, String> env) {
    Map<String, String> merged = new java.util.HashMap<>(ServerParameters.builder("x").build().getEnv());
    merged.putAll(env);
    return merged;
  }

  private void stderrLine(String line) {
    LOG.debug("{} stderr: {}", config.name(), line);
    synchronized (stderr) {
      stderr.addLast(abbreviate(line));
      while (stderr.size() > STDERR_LINES) {
        stderr.removeFirst();
      }
    }
  }

  private String stderrTail() {
    synchronized (stderr) {
      if (stderr.isEmpty()) {
        return "";
      }
      List<String> last = new ArrayList<>(stderr);
      return "; its last stderr lines: " + String.join(" | ", last.subList(Math.max(0, last.size() - 3), last.size()));
    }
  }

  @Override
  public void close() {
    McpAsyncClient c;
    synchronized (lock) {
      closed = true;
      c = client;
      client = null;
    }
    if (c != null) {
      closeQuietly(c);
    }
  }

  private void closeQuietly(McpAsyncClient c) {
    try {
      // Graceful first (stdio: closes the server's stdin and waits), bounded; then the hard close.
      c.closeGracefully().timeout(Duration.ofSeconds(2)).onErrorResume(e -> Mono.empty()).block();
    } catch (RuntimeException e) {
      LOG.debug("{}: graceful close failed: {}", config.name(), e.toString());
    }
    try {
      c.close();
    } catch (RuntimeException e) {
      LOG.debug("{}: close failed: {}", config.name(), e.toString());
    }
  }

  private static boolean executable(ServerConfig.Stdio s) {
    if (s.command().contains("/")) {
      java.nio.file.Path p = java.nio.file.Path.of(s.command());
      if (!p.isAbsolute() && s.workingDirectory().isPresent()) {
        p = s.workingDirectory().get().resolve(p);
      }
      return java.nio.file.Files.isExecutable(p) && !java.nio.file.Files.isDirectory(p);
    }
    String path = s.env().getOrDefault("PATH", System.getenv("PATH"));
    if (path == null) {
      return true; // nothing to search: let the start report it
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      java.nio.file.Path p = java.nio.file.Path.of(dir.isEmpty() ? "." : dir, s.command());
      if (java.nio.file.Files.isExecutable(p) && !java.nio.file.Files.isDirectory(p)) {
        return true;
      }
    }
    return false;
  }

  private static Duration longest(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 299) + "…" : s;
  }

  private static String version() {
    String v = McpConnection.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** A JSON-RPC error reply: the server is alive and refused the request. */
  private static final class McpRefusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    McpRefusal(String message) {
      super(message == null ? "(no message)" : message, null, false, false);
    }
  }
}
