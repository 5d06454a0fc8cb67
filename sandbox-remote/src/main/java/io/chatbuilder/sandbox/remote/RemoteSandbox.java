package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TimeoutException;
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
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
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
  private static final MediaType JSON = MediaType.get("application/json");
  private static final MediaType OCTETS = MediaType.get("application/octet-stream");

  private final String id;
  private final HttpUrl base;
  private final String authorization;
  private final OkHttpClient client;
  private final OkHttpClient streamClient;
  private final boolean ownsClient;
  private final Duration callTimeout;
  private final int maxAttempts;
  private final Duration retryBackoff;
  private final long applyBatchBytes;
  private final Set<Call> streams = ConcurrentHashMap.newKeySet();
  private volatile CommandPolicy policy;
  private volatile boolean closed;

  private RemoteSandbox(Builder b) {
    this.id = b.sandboxId;
    HttpUrl root = HttpUrl.parse(b.baseUrl);
    if (root == null) {
      throw new IllegalArgumentException("not an http(s) URL: " + b.baseUrl);
    }
    this.base = root.newBuilder().addPathSegment("v1").addPathSegment("sandboxes").addPathSegment(b.sandboxId).build();
    this.authorization = "Bearer " + b.token;
    this.callTimeout = b.callTimeout;
    this.maxAttempts = b.maxAttempts;
    this.retryBackoff = b.retryBackoff;
    this.applyBatchBytes = b.applyBatchBytes;
    this.ownsClient = b.client == null;
    OkHttpClient shared = b.client != null ? b.client : new OkHttpClient();
    this.client = shared.newBuilder().callTimeout(b.callTimeout).connectTimeout(b.connectTimeout).build();
    // Output streams may stay quiet for minutes (npm install); the server sends heartbeats, so only a
    // read timeout well above the heartbeat interval applies.
    this.streamClient = shared.newBuilder().callTimeout(Duration.ZERO).connectTimeout(b.connectTimeout)
        .readTimeout(b.streamReadTimeout).build();
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
    call("health", get(url("health").build()));
  }

  @Override
  public List<FileEntry> list(String directory, boolean recursive, int limit) {
    Objects.requireNonNull(directory, "directory == null");
    HttpUrl url = url("files").addQueryParameter("dir", directory)
        .addQueryParameter("recursive", Boolean.toString(recursive))
        .addQueryParameter("limit", Integer.toString(limit)).build();
    List<FileEntry> out = new ArrayList<>();
    for (JsonNode e : call("list " + directory, get(url)).json().path("entries")) {
      out.add(Wire.entry(e));
    }
    return List.copyOf(out);
  }

  @Override
  public FileContent read(String path) {
    Reply reply = call("read " + path, get(url("files/content").addQueryParameter("path", path).build()));
    return FileContent.of(SandboxPaths.normalize(path), reply.body);
  }

  @Override
  public Optional<FileContent> tryRead(String path) {
    try {
      return Optional.of(read(path));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * Metadata of a file or directory without transferring its bytes; empty if nothing exists at
   * {@code path}.
   */
  public Optional<FileEntry> stat(String path) {
    try {
      JsonNode o = call("stat " + path, get(url("files/stat").addQueryParameter("path", path).build())).json();
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
    Request.Builder request = mutating(url("files/content").addQueryParameter("path", path).build())
        .put(RequestBody.create(content, OCTETS));
    ifMatch.ifPresent(tag -> request.header("If-Match", tag));
    return Wire.outcome(call("write " + path, request.build()).json().path("outcome").asText());
  }

  @Override
  public List<String> delete(String path) {
    Objects.requireNonNull(path, "path == null");
    Request request = mutating(url("files").addQueryParameter("path", path).build()).delete().build();
    return Wire.stringList(call("delete " + path, request).json(), "deleted");
  }

  @Override
  public void rename(String from, String to) {
    Objects.requireNonNull(from, "from == null");
    Objects.requireNonNull(to, "to == null");
    ObjectNode body = Wire.NODES.objectNode();
    body.put("from", from);
    body.put("to", to);
    call("rename " + from, post("files/move", body));
  }

  @Override
  public SearchResult search(SearchQuery query) {
    Objects.requireNonNull(query, "query == null");
    return Wire.searchResult(call("search", post("search", Wire.query(query))).json());
  }

  @Override
  public CommandPolicy policy() {
    CommandPolicy p = policy;
    if (p == null) {
      p = Wire.policy(call("policy", get(url("policy").build())).json());
      policy = p;
    }
    return p;
  }

  @Override
  public SortedMap<String, Long> files() {
    return Wire.filesMap(call("files", get(url("files/all").build())).json());
  }

  @Override
  public ChangeScan scanChanges() {
    return Wire.scan(call("scan changes", post("changes/scan", Wire.NODES.objectNode())).json());
  }

  @Override
  public void acknowledgeChanges(long generation) {
    ObjectNode body = Wire.NODES.objectNode();
    body.put("generation", generation);
    call("acknowledge changes", post("changes/acknowledge", body));
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
    for (Map.Entry<String, Optional<byte[]>> e : new TreeMap<>(files).entrySet()) {
      long size = e.getValue().map(b -> (long) b.length).orElse(0L);
      if (!batch.isEmpty() && batchBytes + size > applyBatchBytes) {
        call("apply", post("files/apply", Wire.fileSet(batch)));
        batch.clear();
        batchBytes = 0;
      }
      batch.put(e.getKey(), e.getValue());
      batchBytes += size;
    }
    if (!batch.isEmpty()) {
      call("apply", post("files/apply", Wire.fileSet(batch)));
    }
  }

  /** The current contents of {@code paths} (empty for absent ones), to restore later with {@link #apply}. */
  public Map<String, Optional<byte[]>> snapshot(Collection<String> paths) {
    ObjectNode body = Wire.NODES.objectNode();
    body.set("paths", Wire.array(paths));
    return Wire.fileSet(call("snapshot", post("files/snapshot", body)).json());
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    Objects.requireNonNull(request, "request == null");
    Objects.requireNonNull(listener, "listener == null");
    Objects.requireNonNull(cancellation, "cancellation == null");
    String pid = call("start " + request.argv().get(0), post("processes", Wire.command(request))).json().path("id").asText();
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
      if (closed) {
        throw new SandboxException("the remote sandbox client was closed while process " + pid + " ran");
      }
      Request.Builder request = new Request.Builder().url(url("processes/" + pid + "/events").build())
          .header("Authorization", authorization).header("Accept", "text/event-stream");
      if (last > 0) {
        request.header("Last-Event-ID", Long.toString(last));
      }
      Call call = streamClient.newCall(request.build());
      streams.add(call);
      try (Response response = call.execute()) {
        if (!response.isSuccessful()) {
          throw toException(response.code(), response.body().bytes(), "output of process " + pid);
        }
        BufferedSource source = response.body().source();
        SseEvent event;
        SseReader reader = new SseReader(source);
        while ((event = reader.next()) != null) {
          failures = 0;
          if (event.id() > 0) {
            if (event.id() <= last) {
              continue; // already delivered before the connection dropped
            }
            last = event.id();
          }
          JsonNode data = Wire.MAPPER.readTree(event.data());
          switch (event.type()) {
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
      if (failures >= maxAttempts) {
        throw new SandboxException("lost the output stream of process " + pid + " on " + base + " after " + failures
            + " attempts: " + lastFailure, lastFailure);
      }
      log.debug("re-attaching to process {} after event {}: {}", pid, last, lastFailure.toString());
      pause(failures);
    }
  }

  private void signal(String pid) {
    ObjectNode body = Wire.NODES.objectNode();
    body.put("signal", "KILL");
    // Asynchronous: cancel() must not block the caller on a network round trip.
    client.newCall(post("processes/" + pid + "/signal", body)).enqueue(new Callback() {
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
    closed = true;
    streams.forEach(Call::cancel);
    if (ownsClient) {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  // ---------------------------------------------------------------- HTTP plumbing

  private HttpUrl.Builder url(String route) {
    HttpUrl.Builder b = base.newBuilder();
    for (String segment : route.split("/")) {
      b.addPathSegment(segment);
    }
    return b;
  }

  private Request get(HttpUrl url) {
    return new Request.Builder().url(url).header("Authorization", authorization).get().build();
  }

  /** A request that changes state: it carries an idempotency key shared by all its retries. */
  private Request.Builder mutating(HttpUrl url) {
    return new Request.Builder().url(url).header("Authorization", authorization)
        .header("Idempotency-Key", UUID.randomUUID().toString());
  }

  private Request post(String route, ObjectNode body) {
    return mutating(url(route).build()).post(RequestBody.create(Wire.bytes(body), JSON)).build();
  }

  /**
   * Executes a call, retrying when the connection fails (the server is restarting, a pooled
   * connection died); never retries a timeout, which becomes {@link TimeoutException}.
   */
  private Reply call(String operation, Request request) {
    if (closed) {
      throw new SandboxException("the remote sandbox client for " + id + " is closed");
    }
    IOException lastFailure = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      try (Response response = client.newCall(request).execute()) {
        byte[] body = response.body().bytes();
        if (!response.isSuccessful()) {
          throw toException(response.code(), body, operation);
        }
        return new Reply(response.code(), body);
      } catch (InterruptedIOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw new SandboxException("interrupted during " + operation + " on sandbox " + id, e);
        }
        throw new TimeoutException("sandbox host " + base.host() + ":" + base.port() + " did not answer '" + operation
            + "' on sandbox " + id + " within the client's call timeout of " + callTimeout.toMillis() + " ms", e);
      } catch (IOException e) {
        lastFailure = e;
        log.debug("{} on sandbox {} failed (attempt {}/{}): {}", operation, id, attempt, maxAttempts, e.toString());
        if (attempt < maxAttempts) {
          pause(attempt);
        }
      }
    }
    throw new SandboxException("sandbox host " + base.host() + ":" + base.port() + " is unreachable: '" + operation
        + "' on sandbox " + id + " failed " + maxAttempts + " times; last error: " + lastFailure, lastFailure);
  }

  private void pause(int attempt) {
    long millis = retryBackoff.toMillis() * (1L << Math.min(attempt - 1, 6));
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while retrying a call to sandbox " + id, e);
    }
  }

  /** Maps a {@code {code, message}} error body back to the exception type the server threw. */
  private static ChatBuilderException toException(int status, byte[] body, String operation) {
    try {
      JsonNode o = Wire.MAPPER.readTree(body);
      if (o != null && o.path("code").isTextual() && o.path("message").isTextual()) {
        return ChatBuilderException.of(ErrorCode.fromWireName(o.get("code").asText()), o.get("message").asText());
      }
    } catch (IOException ignored) {
      // not our JSON: a proxy or a different server answered
    }
    String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    return new SandboxException("sandbox host answered HTTP " + status + " to '" + operation + "' without an error body: " + text);
  }

  private record Reply(int status, byte[] body) {
    JsonNode json() {
      try {
        return Wire.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new SandboxException("sandbox host sent malformed JSON: " + e.getMessage(), e);
      }
    }
  }

  /** Configures a {@link RemoteSandbox}. */
  public static final class Builder {
    private final String baseUrl;
    private final String sandboxId;
    private final String token;
    private OkHttpClient client;
    private Duration callTimeout = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration streamReadTimeout = Duration.ofSeconds(60);
    private int maxAttempts = 5;
    private Duration retryBackoff = Duration.ofMillis(100);
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

    /** Attempts per call when connecting fails (1 = no retry); default 5, with exponential backoff. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder retryBackoff(Duration backoff) {
      this.retryBackoff = positive(backoff, "retryBackoff");
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
