package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.internal.SseEvent;
import io.chatbuilder.core.internal.SseReader;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Sandbox} on another host, reached over HTTP through a {@link SandboxServer}. Errors come
 * back as the same exception types a local sandbox throws, so the agent loop cannot tell the two
 * apart. Calls that fail to connect are retried (mutating ones carry an {@code Idempotency-Key}, so a
 * retried write is applied once); a command's output stream re-attaches after a dropped connection
 * and delivers every chunk exactly once.
 *
 * <pre>{@code
 * Sandbox sandbox = RemoteSandbox.builder("http://sandbox-7:8480", "app-42", token).build();
 * }</pre>
 */
public final class RemoteSandbox implements Sandbox {
  private static final Logger log = LoggerFactory.getLogger(RemoteSandbox.class);
  private static final MediaType OCTETS = MediaType.get("application/octet-stream");
  /** Bound of one output event: the host sends output in chunks far below it. */
  private static final long MAX_EVENT_BYTES = 16L << 20;

  private final String id;
  private final Transport transport;
  private final OkHttpClient client;
  private final OkHttpClient streamClient;
  private final boolean ownsClient;
  /** A fenced view: shares the client, and its close() leaves the client open. */
  private final boolean view;
  private final long applyBatchBytes;
  private final Set<Call> streams = ConcurrentHashMap.newKeySet();
  private volatile CommandPolicy policy;

  private RemoteSandbox(Builder b) {
    this.id = b.sandboxId;
    this.applyBatchBytes = b.applyBatchBytes;
    this.ownsClient = b.client == null;
    OkHttpClient shared = b.client != null ? b.client : new OkHttpClient();
    this.client = shared.newBuilder().callTimeout(b.callTimeout).connectTimeout(b.connectTimeout).build();
    // Output streams may stay quiet for minutes (npm install); the server sends heartbeats, so only a
    // read timeout well above the heartbeat interval applies.
    this.streamClient = shared.newBuilder().callTimeout(Duration.ZERO).connectTimeout(b.connectTimeout)
        .readTimeout(b.streamReadTimeout).build();
    this.transport = new Transport(b.baseUrl, b.sandboxId, b.token, client, b.callTimeout, b.retryPolicy);
    this.view = false;
  }

  private RemoteSandbox(RemoteSandbox base, long fencingToken) {
    this.id = base.id;
    this.applyBatchBytes = base.applyBatchBytes;
    this.ownsClient = false;
    this.client = base.client;
    this.streamClient = base.streamClient;
    this.transport = base.transport.fenced(fencingToken);
    this.policy = base.policy;
    this.view = true;
  }

  /**
   * A view whose mutating requests (write, delete, move, apply, process start) carry the
   * {@code Fencing-Token} header; the server refuses a stale one with 409 {@code lease_lost}, thrown
   * here as {@link io.chatbuilder.core.LeaseLostException}. See the module README for the wire format.
   */
  @Override
  public Sandbox fenced(long token) {
    io.chatbuilder.core.sandbox.FencedSandbox.checkToken(token);
    return new RemoteSandbox(this, token);
  }

  /**
   * A client for sandbox {@code sandboxId} served at {@code baseUrl} (e.g. {@code http://10.0.0.7:8480}),
   * authenticating with {@code token}.
   */
  public static Builder builder(String baseUrl, String sandboxId, String token) {
    return new Builder(baseUrl, sandboxId, token);
  }

  @Override
  public String id() {
    return id;
  }

  /** Checks that the server answers and serves this sandbox with this token. */
  public void checkHealth() {
    transport.call("health", transport.get(transport.url("health").build()));
  }

  @Override
  public List<FileEntry> list(String directory, boolean recursive, int limit) {
    Objects.requireNonNull(directory, "directory == null");
    sendable(directory);
    HttpUrl url = transport.url("files").addQueryParameter("dir", directory)
        .addQueryParameter("recursive", Boolean.toString(recursive))
        .addQueryParameter("limit", Integer.toString(limit)).build();
    List<FileEntry> out = new ArrayList<>();
    for (JsonNode e : transport.call("list " + directory, transport.get(url)).json().path("entries")) {
      out.add(Wire.entry(e));
    }
    return List.copyOf(out);
  }

  @Override
  public FileContent read(String path) {
    sendable(path);
    Transport.Reply reply = transport.call("read " + path, transport.get(transport.url("files/content").addQueryParameter("path", path).build()));
    return FileContent.of(SandboxPaths.normalize(path), reply.body());
  }

  @Override
  public Optional<FileContent> tryRead(String path) {
    sendable(path);
    Transport.Reply reply = transport.call("read " + path, transport.get(transport.url("files/content")
        .addQueryParameter("path", path).addQueryParameter("try", "true").build()));
    return reply.status() == 204 ? Optional.empty() : Optional.of(FileContent.of(SandboxPaths.normalize(path), reply.body()));
  }

  /**
   * Metadata of a file or directory without transferring its bytes; empty if nothing exists at
   * {@code path}.
   */
  public Optional<FileEntry> stat(String path) {
    sendable(path);
    try {
      JsonNode o = transport.call("stat " + path, transport.get(transport.url("files/stat").addQueryParameter("path", path).build())).json();
      return Optional.of(Wire.entry(o));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  @Override
  public WriteOutcome write(String path, byte[] content) {
    return write(path, content, Optional.empty());
  }

  /**
   * Writes only if the file still has the content whose SHA-256 (lowercase hex, as in the
   * {@code ETag} of a read) is {@code expectedSha256}, so two editors cannot silently overwrite
   * each other.
   *
   * @throws io.chatbuilder.core.ConflictException if the file changed or vanished since
   */
  public WriteOutcome writeIfMatch(String path, byte[] content, String expectedSha256) {
    Objects.requireNonNull(expectedSha256, "expectedSha256 == null");
    return write(path, content, Optional.of("\"" + expectedSha256 + "\""));
  }

  private WriteOutcome write(String path, byte[] content, Optional<String> ifMatch) {
    Objects.requireNonNull(path, "path == null");
    Objects.requireNonNull(content, "content == null");
    sendable(path);
    Request.Builder request = transport.mutating(transport.url("files/content").addQueryParameter("path", path).build())
        .put(RequestBody.create(content, OCTETS));
    ifMatch.ifPresent(tag -> request.header("If-Match", tag));
    return Wire.outcome(transport.call("write " + path, request.build()).json().path("outcome").asText());
  }

  @Override
  public List<String> delete(String path) {
    Objects.requireNonNull(path, "path == null");
    sendable(path);
    Request request = transport.mutating(transport.url("files").addQueryParameter("path", path).build()).delete().build();
    return Wire.stringList(transport.call("delete " + path, request).json(), "deleted");
  }

  @Override
  public void rename(String from, String to) {
    Objects.requireNonNull(from, "from == null");
    Objects.requireNonNull(to, "to == null");
    sendable(from);
    sendable(to);
    ObjectNode body = Wire.NODES.objectNode();
    body.put("from", from);
    body.put("to", to);
    transport.call("rename " + from, transport.post("files/move", body));
  }

  @Override
  public SearchResult search(SearchQuery query) {
    Objects.requireNonNull(query, "query == null");
    return Wire.searchResult(transport.call("search", transport.post("search", Wire.query(query))).json());
  }

  /**
   * Refuses here, with the server's own rules and message, a path that cannot travel intact: a lone
   * surrogate has no UTF-8 form, so the server would see a different path and refuse it for the
   * wrong reason. The server checks every path again.
   */
  private static void sendable(String path) {
    SandboxPaths.normalizeOrRoot(path);
  }

  @Override
  public CommandPolicy policy() {
    CommandPolicy p = policy;
    if (p == null) {
      p = Wire.policy(transport.call("policy", transport.get(transport.url("policy").build())).json());
      policy = p;
    }
    return p;
  }

  @Override
  public SortedMap<String, Long> files() {
    return Wire.filesMap(transport.call("files", transport.get(transport.url("files/all").build())).json());
  }

  @Override
  public ChangeScan scanChanges() {
    return Wire.scan(transport.call("scan changes", transport.post("changes/scan", Wire.NODES.objectNode())).json());
  }

  @Override
  public void acknowledgeChanges(long generation) {
    ObjectNode body = Wire.NODES.objectNode();
    body.put("generation", generation);
    transport.call("acknowledge changes", transport.post("changes/acknowledge", body));
  }

  /**
   * Sets files to the given contents (empty = delete). Large sets travel in several requests of at
   * most the configured batch size, so, as with a local sandbox, a failure part-way leaves the
   * files applied so far.
   */
  @Override
  public void apply(Map<String, Optional<byte[]>> files) {
    Objects.requireNonNull(files, "files == null");
    Map<String, Optional<byte[]>> batch = new LinkedHashMap<>();
    long batchBytes = 0;
    // Deletions travel before writes, so a file can replace a directory (and the other way round)
    // even when the set needs several requests.
    List<Map.Entry<String, Optional<byte[]>>> ordered = new ArrayList<>(new TreeMap<>(files).entrySet());
    ordered.sort(java.util.Comparator.comparing(e -> e.getValue().isPresent()));
    for (Map.Entry<String, Optional<byte[]>> e : ordered) {
      sendable(e.getKey());
      long size = e.getValue().map(b -> (long) b.length).orElse(0L);
      if (!batch.isEmpty() && batchBytes + size > applyBatchBytes) {
        transport.call("apply", transport.post("files/apply", Wire.fileSet(batch)));
        batch.clear();
        batchBytes = 0;
      }
      batch.put(e.getKey(), e.getValue());
      batchBytes += size;
    }
    if (!batch.isEmpty()) {
      transport.call("apply", transport.post("files/apply", Wire.fileSet(batch)));
    }
  }

  /** The current contents of {@code paths} (empty for absent ones), to restore later with {@link #apply}. */
  public Map<String, Optional<byte[]>> snapshot(Collection<String> paths) {
    ObjectNode body = Wire.NODES.objectNode();
    body.set("paths", Wire.array(paths));
    return Wire.fileSet(transport.call("snapshot", transport.post("files/snapshot", body)).json());
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    Objects.requireNonNull(request, "request == null");
    Objects.requireNonNull(listener, "listener == null");
    Objects.requireNonNull(cancellation, "cancellation == null");
    String pid = transport.call("start " + request.argv().get(0), transport.post("processes", Wire.command(request))).json().path("id").asText();
    try (Cancellation.Registration ignored = cancellation.onCancel(() -> signal(pid))) {
      return follow(pid, listener);
    }
  }

  /** Reads the process's event stream until it exits, re-attaching with Last-Event-ID when it drops. */
  private CommandResult follow(String pid, CommandListener listener) {
    long last = 0;
    int failures = 0;
    IOException lastFailure = null;
    while (true) {
      if (transport.closed()) {
        throw new SandboxException("the remote sandbox client was closed while process " + pid + " ran");
      }
      Request.Builder request = new Request.Builder().url(transport.url("processes/" + pid + "/events").build())
          .header("Authorization", transport.authorization).header("Accept", "text/event-stream");
      if (last > 0) {
        request.header("Last-Event-ID", Long.toString(last));
      }
      Call call = streamClient.newCall(request.build());
      streams.add(call);
      try (Response response = call.execute()) {
        if (!response.isSuccessful()) {
          ChatBuilderException e = Transport.toException(response.code(), response.body().bytes(), "output of process " + pid);
          if (e instanceof NotFoundException) {
            // It was started a moment ago by this very call, so the host lost it.
            throw new NotFoundException("process " + pid + " is gone from the sandbox host (was it restarted?): "
                + "its output after event " + last + " and its exit status are lost");
          }
          throw e;
        }
        SseEvent event;
        SseReader reader = new SseReader(response.body().byteStream(), MAX_EVENT_BYTES, SseReader.EndOfStream.DROP_UNTERMINATED);
        while ((event = reader.next()) != null) {
          failures = 0;
          long id = eventId(event);
          if (id > 0) {
            if (id <= last) {
              continue; // already delivered before the connection dropped
            }
            last = id;
          }
          JsonNode data = Wire.readTree(event.data());
          switch (event.event()) {
            case "stdout" -> listener.onStdout(data.path("text").asText());
            case "stderr" -> listener.onStderr(data.path("text").asText());
            case "gap" -> listener.onStderr("[sandbox-remote: output events " + data.path("from").asLong() + " to "
                + data.path("to").asLong() + " were dropped by the server's buffer before they could be read]\n");
            case "exit" -> {
              return Wire.result(data);
            }
            case "error" -> throw ChatBuilderException.of(
                ErrorCode.fromWireName(data.path("code").asText()), data.path("message").asText());
            default -> { } // "start" and future event types
          }
        }
        // The stream ended without an exit event: the connection was cut; re-attach.
        lastFailure = new IOException("stream ended before the process exited");
      } catch (IOException e) {
        lastFailure = e;
      } finally {
        streams.remove(call);
      }
      failures++;
      if (!transport.retryPolicy.allowsAnotherAfter(failures)) {
        throw new SandboxException("lost the output stream of process " + pid + " on " + transport.base + " after " + failures
            + " attempts: " + lastFailure, lastFailure);
      }
      log.debug("re-attaching to process {} after event {}: {}", pid, last, lastFailure.toString());
      transport.pause(failures);
    }
  }

  private void signal(String pid) {
    ObjectNode body = Wire.NODES.objectNode();
    body.put("signal", "KILL");
    // Asynchronous: cancel() must not block the caller on a network round trip.
    client.newCall(transport.post("processes/" + pid + "/signal", body)).enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        log.warn("could not signal process {} in sandbox {}: {}", pid, id, e.toString());
      }

      @Override
      public void onResponse(Call call, Response response) {
        response.close();
      }
    });
  }

  /** Stops open output streams; the sandbox and its files on the server stay. */
  @Override
  public void close() {
    if (view) {
      streams.forEach(Call::cancel);
      return; // the client it borrows stays open
    }
    transport.close();
    streams.forEach(Call::cancel);
    if (ownsClient) {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  /** Configures a {@link RemoteSandbox}. */
  /** The event's sequence number (0 when it has none); a malformed id means a broken stream. */
  private static long eventId(SseEvent event) throws IOException {
    if (event.id().isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(event.id().trim());
    } catch (NumberFormatException e) {
      throw new IOException("malformed event id '" + event.id() + "'");
    }
  }

  public static final class Builder {
    private final String baseUrl;
    private final String sandboxId;
    private final String token;
    private OkHttpClient client;
    private Duration callTimeout = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration streamReadTimeout = Duration.ofSeconds(60);
    private RetryPolicy retryPolicy = Transport.DEFAULT_RETRY;
    private long applyBatchBytes = 8L * 1024 * 1024;

    private Builder(String baseUrl, String sandboxId, String token) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl == null");
      this.sandboxId = Objects.requireNonNull(sandboxId, "sandboxId == null");
      this.token = Objects.requireNonNull(token, "token == null");
    }

    /** Shares an OkHttp client (connection pool, dispatcher) with the rest of the application. */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client == null");
      return this;
    }

    /** Longest a single call may take before {@link TimeoutException}; default 60 s. */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive(timeout, "callTimeout");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** Longest silence on a command's output stream before re-attaching; keep above the server heartbeat. */
    public Builder streamReadTimeout(Duration timeout) {
      this.streamReadTimeout = positive(timeout, "streamReadTimeout");
      return this;
    }

    /**
     * How a call whose connection failed, and a broken output stream, are tried again ({@link
     * RetryPolicy#NONE} = never); default 5 attempts, 100 ms doubling up to 6.4 s, jitter 0.5.
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy == null");
      return this;
    }

    /** Bytes of file content per {@link #apply} request; default 8 MiB. */
    public Builder applyBatchBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("applyBatchBytes must be >= 1");
      }
      this.applyBatchBytes = bytes;
      return this;
    }

    public RemoteSandbox build() {
      return new RemoteSandbox(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name + " == null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return d;
    }
  }
}
