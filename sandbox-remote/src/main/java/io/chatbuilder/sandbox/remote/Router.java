package io.chatbuilder.sandbox.remote;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.internal.SseFrames;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.sandbox.FencedSandbox;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.WriteOutcome;
import io.chatbuilder.sandbox.remote.IdempotencyCache.StoredResponse;
import io.chatbuilder.sandbox.remote.ProcessTable.Batch;
import io.chatbuilder.sandbox.remote.ProcessTable.ProcessEvent;
import io.chatbuilder.sandbox.remote.ProcessTable.RemoteProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Dispatches every request of the protocol; see the module README for the endpoint list. */
final class Router implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(Router.class);
  /** An oversized body is read and discarded up to this much so the client sees the 413. */
  private static final long MAX_DRAIN_BYTES = 256L * 1024 * 1024;
  private static final String JSON = "application/json";
  /** POSTs that change nothing: retries simply run again, and their (possibly large) answers are not kept. */
  private static final java.util.Set<String> READ_ONLY_POSTS = java.util.Set.of("files/snapshot", "search");

  /**
   * Requests the dispatcher may serve inline: small and bounded by the sandbox alone (no processes,
   * streams, searches, listings or tree-wide work, whose cost grows with the app or the command).
   */
  private static final java.util.Set<String> INLINE_ROUTES = java.util.Set.of(
      "GET health", "GET policy", "GET files/content", "GET files/stat", "PUT files/content");
  /** Largest request body served inline, and only once all of it has arrived. */
  private static final int INLINE_BODY_BYTES = 64 * 1024;
  /** Largest reply written by the dispatcher: it fits the socket's send buffer, so the write does not wait. */
  private static final int INLINE_REPLY_BYTES = 8 * 1024;

  private final SandboxRegistry registry;
  private final Executor processThreads;
  private final RequestExecutor requests;
  private final long maxBodyBytes;
  private final long heartbeatMillis;
  private final Optional<DraftRuntime> draftRuntime;

  Router(SandboxRegistry registry, RequestExecutor requests, Executor processThreads, long maxBodyBytes, long heartbeatMillis,
      Optional<DraftRuntime> draftRuntime) {
    this.draftRuntime = draftRuntime;
    this.registry = registry;
    this.requests = requests;
    this.processThreads = processThreads;
    this.maxBodyBytes = maxBodyBytes;
    this.heartbeatMillis = heartbeatMillis;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (requests.inlineHere()) {
      handleInline(exchange);
    } else {
      handleOnPool(exchange);
    }
  }

  private void handleOnPool(HttpExchange exchange) {
    try (exchange) {
      try {
        route(exchange);
      } catch (ChatBuilderException e) {
        send(exchange, errorResponse(e));
      } catch (RuntimeException e) {
        log.warn("request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        send(exchange, errorResponse(new ChatBuilderException(ErrorCode.INTERNAL, "internal error on the sandbox host: " + e)));
      }
    } catch (IOException e) {
      // The client went away; nothing to answer.
      log.debug("connection lost during {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    }
  }

  /**
   * On the dispatcher thread, headers read: answers at once if the request is short and its body
   * is all here; otherwise hands the exchange to the pool before reading or touching anything.
   */
  private void handleInline(HttpExchange exchange) {
    requests.work();
    boolean handedOff = false;
    try {
      StoredResponse reply;
      try {
        reply = inlineReply(exchange);
      } catch (ChatBuilderException e) {
        reply = errorResponse(e);
      } catch (RuntimeException e) {
        log.warn("request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        reply = errorResponse(new ChatBuilderException(ErrorCode.INTERNAL, "internal error on the sandbox host: " + e));
      }
      if (reply == null) {
        requests.pool().execute(() -> handleOnPool(exchange));
        handedOff = true;
      } else if (reply.body().length > INLINE_REPLY_BYTES) {
        StoredResponse large = reply;
        requests.pool().execute(() -> sendOnPool(exchange, large));
        handedOff = true;
      } else {
        requests.clientIo();
        send(exchange, reply);
      }
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("server closing; dropping {} {}", exchange.getRequestMethod(), exchange.getRequestURI());
    } catch (IOException e) {
      log.debug("connection lost during {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    } finally {
      if (!handedOff) {
        exchange.close();
      }
    }
  }

  private static void sendOnPool(HttpExchange exchange, StoredResponse reply) {
    try (exchange) {
      send(exchange, reply);
    } catch (IOException e) {
      log.debug("connection lost during {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    }
  }

  /**
   * The reply of a request served inline, or null if it must go to the pool. The body is checked
   * first: even an error reply would make the JDK drain a body still arriving when the exchange closes.
   */
  private StoredResponse inlineReply(HttpExchange exchange) throws IOException {
    if (!bodyHere(exchange)) {
      return null;
    }
    List<String> segments = segments(exchange);
    String id = segments.get(0);
    List<String> rest = segments.subList(1, segments.size());
    String method = exchange.getRequestMethod();
    String route = String.join("/", rest);
    if (!INLINE_ROUTES.contains(method + " " + route)
        || exchange.getRequestHeaders().containsKey(Wire.FENCING_TOKEN)) { // a fence may wait on other hosts
      return null;
    }
    SandboxRegistry.Hosted hosted = authorized(exchange, id);
    if (!hosted.gate.tryEnterInline()) {
      return null;
    }
    try {
      return respond(hosted, new Request(exchange, method, route, query(exchange), readBody(exchange)));
    } finally {
      hosted.gate.exitInline();
    }
  }

  /** Whether the whole request body is already buffered, so reading it cannot wait for the client. */
  private static boolean bodyHere(HttpExchange exchange) throws IOException {
    if (exchange.getRequestHeaders().containsKey("Transfer-encoding")) {
      return false;
    }
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length == null) {
      return true; // no body
    }
    long declared;
    try {
      declared = Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return false; // the pool answers it
    }
    return declared <= INLINE_BODY_BYTES && exchange.getRequestBody().available() >= declared;
  }

  private static List<String> segments(HttpExchange exchange) {
    String rawPath = exchange.getRequestURI().getRawPath();
    if (!rawPath.startsWith(Wire.PREFIX)) {
      throw new NotFoundException("no such endpoint: " + rawPath + " (endpoints live under " + Wire.PREFIX + "{id}/)");
    }
    String[] raw = rawPath.substring(Wire.PREFIX.length()).split("/", -1);
    List<String> segments = new ArrayList<>();
    for (String s : raw) {
      segments.add(decode(s.replace("+", "%2B")));
    }
    return segments;
  }

  /** The hosted sandbox the request's bearer token grants; 401 without a token, 403 for a wrong one. */
  private SandboxRegistry.Hosted authorized(HttpExchange exchange, String id) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"chatbuilder-sandbox\"");
      throw new ChatBuilderException(ErrorCode.UNAUTHENTICATED, "missing bearer token: send 'Authorization: Bearer <token>' for sandbox " + id);
    }
    return registry.authorize(id, authorization.substring(7).trim())
        .orElseThrow(() -> new ChatBuilderException(ErrorCode.UNAUTHORIZED, "the token is not valid for sandbox " + id));
  }

  private void route(HttpExchange exchange) throws IOException {
    List<String> segments = segments(exchange);
    String id = segments.get(0);
    List<String> rest = segments.subList(1, segments.size());
    SandboxRegistry.Hosted hosted = authorized(exchange, id);
    Request request = new Request(exchange, exchange.getRequestMethod(), String.join("/", rest), query(exchange), readBody(exchange));

    if (request.method.equals("GET") && rest.size() == 3 && rest.get(0).equals("processes") && rest.get(2).equals("events")) {
      stream(exchange, hosted.processes.get(rest.get(1)));
      return;
    }
    StoredResponse reply;
    hosted.gate.enterPool();
    try {
      reply = respond(hosted, request);
    } finally {
      hosted.gate.exitPool();
    }
    send(exchange, reply);
  }

  private StoredResponse respond(SandboxRegistry.Hosted hosted, Request request) {
    String key = request.exchange.getRequestHeaders().getFirst("Idempotency-Key");
    if (key != null && !request.method.equals("GET") && !READ_ONLY_POSTS.contains(request.route)) {
      if (key.isBlank() || key.length() > 200) {
        throw new InvalidArgumentException("Idempotency-Key must be 1 to 200 characters");
      }
      return hosted.idempotency.run(key, fingerprint(request), () -> dispatchSafely(hosted, request));
    }
    return dispatchSafely(hosted, request);
  }

  private StoredResponse dispatchSafely(SandboxRegistry.Hosted hosted, Request request) {
    try {
      return dispatch(hosted, request);
    } catch (ChatBuilderException e) {
      return errorResponse(e);
    }
  }

  private StoredResponse dispatch(SandboxRegistry.Hosted hosted, Request r) {
    Sandbox sandbox = hosted.sandbox;
    String route = r.method + " " + r.route;
    switch (route) {
      case "GET health": {
        ObjectNode o = Wire.NODES.objectNode();
        o.put("status", "ok");
        o.put("sandbox", sandbox.id());
        return json(200, o);
      }
      case "GET policy":
        return json(200, Wire.policy(sandbox.policy()));
      case "GET files": {
        ObjectNode o = Wire.NODES.objectNode();
        ArrayNode entries = o.putArray("entries");
        int limit = (int) Math.min(Integer.MAX_VALUE, r.longParam("limit", 10_000));
        if (limit < 1) {
          throw new InvalidArgumentException("limit must be >= 1");
        }
        for (FileEntry e : sandbox.list(r.param("dir").orElse(""), r.booleanParam("recursive"), limit)) {
          entries.add(Wire.entry(e));
        }
        return json(200, o);
      }
      case "GET files/all":
        return json(200, Wire.filesMap(sandbox.files()));
      case "GET files/content": {
        // try=true is tryRead: "no regular file here" is 204, not an error (a directory, a FIFO).
        FileContent content;
        if (r.booleanParam("try")) {
          Optional<FileContent> found = sandbox.tryRead(r.requiredParam("path"));
          if (found.isEmpty()) {
            return new StoredResponse(204, null, "application/octet-stream", new byte[0]);
          }
          content = found.get();
        } else {
          content = sandbox.read(r.requiredParam("path"));
        }
        byte[] bytes = content.bytes();
        return new StoredResponse(200, ContentHash.sha256(bytes), "application/octet-stream", bytes);
      }
      case "GET files/stat":
        return json(200, stat(sandbox, r.requiredParam("path")));
      case "PUT files/content":
        return write(hosted, mutable(hosted, r), r);
      case "DELETE files": {
        ObjectNode o = Wire.NODES.objectNode();
        o.set("deleted", Wire.array(mutable(hosted, r).delete(r.requiredParam("path"))));
        return json(200, o);
      }
      case "POST files/move": {
        ObjectNode body = Wire.parseObject(r.body);
        mutable(hosted, r).rename(Wire.requireText(body, "from"), Wire.requireText(body, "to"));
        return json(200, Wire.NODES.objectNode());
      }
      case "POST files/apply":
        mutable(hosted, r).apply(Wire.fileSet(Wire.parseObject(r.body)));
        return json(200, Wire.NODES.objectNode());
      case "POST files/snapshot": {
        Map<String, Optional<byte[]>> files = new TreeMap<>();
        for (String path : Wire.stringList(Wire.parseObject(r.body), "paths")) {
          files.put(path, sandbox.tryRead(path).map(FileContent::bytes));
        }
        return json(200, Wire.fileSet(files));
      }
      case "POST search":
        return json(200, Wire.searchResult(sandbox.search(Wire.query(Wire.parseObject(r.body)))));
      case "POST changes/scan":
        return json(200, Wire.scan(sandbox.scanChanges()));
      case "POST changes/acknowledge": {
        long generation = Wire.optLong(Wire.parseObject(r.body), "generation", -1);
        if (generation < 0) {
          throw new InvalidArgumentException("field 'generation' must be a non-negative integer");
        }
        sandbox.acknowledgeChanges(generation);
        return json(200, Wire.NODES.objectNode());
      }
      case "GET processes": {
        ObjectNode o = Wire.NODES.objectNode();
        ArrayNode list = o.putArray("processes");
        hosted.processes.list().forEach(p -> list.add(p.status()));
        return json(200, o);
      }
      case "POST processes": {
        Sandbox target = mutable(hosted, r);
        if (target instanceof FencedSandbox fenced) {
          fenced.check(); // a stale holder gets its 409 here, not as an event of a process that never ran
        }
        RemoteProcess p = hosted.processes.start(target, Wire.command(Wire.parseObject(r.body)), processThreads);
        return json(201, p.status());
      }
      case "POST draft/start":
      case "GET draft/status":
      case "POST draft/stop":
        return draft(hosted, r);
      default:
        return processRoute(hosted, r);
    }
  }

  private StoredResponse draft(SandboxRegistry.Hosted hosted, Request r) {
    if (draftRuntime.isEmpty()) {
      return errorResponse(501, ErrorCode.SANDBOX_ERROR, "no draft runtime on this sandbox host: draft mode is not served here");
    }
    DraftRuntime runtime = draftRuntime.get();
    String appId = hosted.sandbox.id();
    DraftSession session = hosted.draft;
    int status = 200;
    // Read "in progress" before the messages, and the messages before a start begins, so a client
    // that polls until the start is over misses none of its messages.
    boolean inProgress = session.starting();
    DraftSession.Messages messages = session.after(r.longParam("after", Long.MAX_VALUE));
    if (r.route.equals("draft/start")) {
      status = 202;
      if (session.begin()) {
        try {
          processThreads.execute(() -> {
            ChatBuilderException failure = null;
            try {
              runtime.start(appId, session::message);
            } catch (ChatBuilderException e) {
              failure = e;
            } catch (RuntimeException e) {
              log.warn("draft start of {} failed", appId, e);
              failure = new ChatBuilderException(ErrorCode.SANDBOX_ERROR, "draft start failed on the sandbox host: " + e);
            }
            session.end(failure);
          });
        } catch (java.util.concurrent.RejectedExecutionException e) {
          session.end(null);
          throw new io.chatbuilder.core.BusyException("the sandbox host is shutting down or out of threads");
        }
      }
    } else if (r.route.equals("draft/stop")) {
      runtime.stop(appId);
    }
    ObjectNode o = Wire.draft(runtime.status(appId));
    o.put("start_in_progress", inProgress || r.route.equals("draft/start"));
    session.startError().ifPresent(e -> o.set("start_error", Wire.error(e.code(), e.getMessage())));
    o.set("messages", Wire.array(messages.messages()));
    o.put("last_message", messages.last());
    return json(status, o);
  }

  private StoredResponse processRoute(SandboxRegistry.Hosted hosted, Request r) {
    String[] parts = r.route.split("/", -1);
    if (parts.length >= 2 && parts[0].equals("processes")) {
      RemoteProcess p = hosted.processes.get(parts[1]);
      if (parts.length == 2 && r.method.equals("GET")) {
        return json(200, p.status());
      }
      if (parts.length == 3 && parts[2].equals("signal") && r.method.equals("POST")) {
        String signal = Wire.optText(Wire.parseObject(r.body.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : r.body), "signal", "TERM");
        if (!signal.equals("TERM") && !signal.equals("KILL") && !signal.equals("INT")) {
          throw new InvalidArgumentException("signal must be TERM, INT or KILL");
        }
        // The core SPI has one way to stop a command: cancellation, which kills the whole tree.
        p.cancellation.cancel();
        return json(202, p.status());
      }
      if (parts.length == 3 && parts[2].equals("stdin") && r.method.equals("POST")) {
        return errorResponse(501, ErrorCode.SANDBOX_ERROR,
            "stdin is not supported: the core Sandbox SPI runs commands without standard input");
      }
    }
    throw new NotFoundException("no such endpoint: " + r.method + " " + Wire.PREFIX + "{id}/" + r.route);
  }

  /**
   * The sandbox a mutating request acts on: with a {@value Wire#FENCING_TOKEN} header, the hosted
   * sandbox's fenced view for that token (the hosted sandbox keeps the highest token it has seen,
   * a {@link io.chatbuilder.sandbox.local.LocalSandbox} in its state directory); without one, the
   * sandbox itself.
   */
  private static Sandbox mutable(SandboxRegistry.Hosted hosted, Request r) {
    String header = r.exchange.getRequestHeaders().getFirst(Wire.FENCING_TOKEN);
    if (header == null) {
      return hosted.sandbox;
    }
    long token;
    try {
      token = Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException(Wire.FENCING_TOKEN + " must be a positive integer, got '" + header + "'");
    }
    if (token < 1) {
      throw new InvalidArgumentException(Wire.FENCING_TOKEN + " must be a positive integer, got " + token);
    }
    return hosted.sandbox.fenced(token);
  }

  private StoredResponse write(SandboxRegistry.Hosted hosted, Sandbox target, Request r) {
    String path = r.requiredParam("path");
    String ifMatch = r.exchange.getRequestHeaders().getFirst("If-Match");
    WriteOutcome outcome;
    synchronized (hosted.writeLock) {
      if (ifMatch != null) {
        Optional<FileContent> current = hosted.sandbox.tryRead(path);
        String expected = ifMatch.trim();
        boolean ok;
        if (expected.equals("*")) {
          ok = current.isPresent();
        } else {
          String unquoted = expected.startsWith("\"") && expected.endsWith("\"") && expected.length() >= 2
              ? expected.substring(1, expected.length() - 1) : expected;
          ok = current.isPresent() && ContentHash.sha256(current.get().bytes()).equals(unquoted);
        }
        if (!ok) {
          return errorResponse(412, ErrorCode.CONFLICT, current.isEmpty()
              ? "write refused: " + path + " does not exist any more (If-Match " + expected + ")"
              : "write refused: " + path + " was changed by someone else since it was read (If-Match " + expected + ")");
        }
      }
      outcome = target.write(path, r.body);
    }
    String sha256 = ContentHash.sha256(r.body);
    ObjectNode o = Wire.NODES.objectNode();
    o.put("outcome", Wire.outcome(outcome));
    o.put("sha256", sha256);
    return new StoredResponse(outcome == WriteOutcome.CREATED ? 201 : 200, sha256, JSON, Wire.bytes(o));
  }

  private static ObjectNode stat(Sandbox sandbox, String path) {
    Optional<FileContent> file = sandbox.tryRead(path);
    ObjectNode o = Wire.NODES.objectNode();
    if (file.isPresent()) {
      byte[] bytes = file.get().bytes();
      o.put("path", file.get().path());
      o.put("kind", "file");
      o.put("size", bytes.length);
      o.put("sha256", ContentHash.sha256(bytes));
      o.put("binary", file.get().binary());
      return o;
    }
    // Not a file: a directory if it can be listed (list throws NotFound otherwise).
    sandbox.list(path, false, 1);
    o.put("path", path);
    o.put("kind", "directory");
    o.put("size", 0);
    return o;
  }

  // ---------------------------------------------------------------- SSE

  private void stream(HttpExchange exchange, RemoteProcess process) throws IOException {
    long last = 0;
    String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
    Optional<String> fromQuery = Optional.ofNullable(query(exchange).get("last_event_id"));
    String position = lastEventId != null ? lastEventId : fromQuery.orElse(null);
    if (position != null) {
      try {
        last = Long.parseLong(position.trim());
      } catch (NumberFormatException e) {
        throw new InvalidArgumentException("Last-Event-ID must be an event number, got '" + position + "'");
      }
    }
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    try {
      while (true) {
        Batch batch = process.after(last, heartbeatMillis);
        if (batch.ended()) {
          return;
        }
        StringBuilder sb = new StringBuilder();
        if (batch.missedFrom() > 0) {
          ObjectNode gap = Wire.NODES.objectNode();
          gap.put("from", batch.missedFrom());
          gap.put("to", batch.missedTo());
          sb.append(SseFrames.event("", "gap", Wire.text(gap)));
        }
        if (batch.events().isEmpty()) {
          sb.append(SseFrames.comment("keepalive"));
        }
        boolean terminal = false;
        for (ProcessEvent e : batch.events()) {
          sb.append(SseFrames.event(Long.toString(e.seq()), e.type(), e.data()));
          last = e.seq();
          terminal |= e.terminal();
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (terminal) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- plumbing

  private byte[] readBody(HttpExchange exchange) throws IOException {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    long declared = -1;
    if (length != null) {
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw new InvalidArgumentException("Content-Length is not a number");
      }
    }
    InputStream in = exchange.getRequestBody();
    if (declared > maxBodyBytes) {
      drain(in);
      throw tooLarge(declared);
    }
    if (declared >= 0 || !exchange.getRequestHeaders().containsKey("Transfer-encoding")) {
      // The length is known (the JDK reads a request without either header as empty): read it into
      // its array at once; a 64 KiB buffer and a copy per request showed in B8's profile.
      byte[] body = new byte[(int) Math.max(0, declared)];
      int n = in.readNBytes(body, 0, body.length);
      if (n < body.length) {
        throw new java.io.EOFException("request body ended after " + n + " of " + declared + " bytes");
      }
      return body;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(256);
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; (n = in.read(buffer)) > 0; ) {
      total += n;
      if (total > maxBodyBytes) {
        drain(in);
        throw tooLarge(total);
      }
      body.write(buffer, 0, n);
    }
    return body.toByteArray();
  }

  private TooLargeException tooLarge(long size) {
    return new TooLargeException("request body of " + size + "+ bytes is over the server's limit of " + maxBodyBytes + " bytes");
  }

  /** Reads what is left of the body (bounded) so the client, still sending, gets to read the 413. */
  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; total < MAX_DRAIN_BYTES && (n = in.read(buffer)) > 0; ) {
      total += n;
    }
  }

  private static Map<String, String> query(HttpExchange exchange) {
    String raw = exchange.getRequestURI().getRawQuery();
    Map<String, String> params = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (params.putIfAbsent(name, value) != null) {
        throw new InvalidArgumentException("query parameter '" + name + "' given twice");
      }
    }
    return params;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("malformed percent-encoding in the request URL: " + e.getMessage());
    }
  }

  private static byte[] fingerprint(Request r) {
    MessageDigest digest = ContentHash.newSha256();
    digest.update((r.method + " " + r.route + "?" + new TreeMap<>(r.params) + "\n"
        + r.exchange.getRequestHeaders().getFirst("If-Match") + "\n").getBytes(StandardCharsets.UTF_8));
    digest.update(r.body);
    return digest.digest();
  }

  private static StoredResponse json(int status, ObjectNode body) {
    return new StoredResponse(status, null, JSON, Wire.bytes(body));
  }

  private static StoredResponse errorResponse(ChatBuilderException e) {
    if (e instanceof LeaseLostException) {
      // Its own wire code, so the client can tell a stale fencing token from other conflicts.
      return new StoredResponse(409, null, JSON, Wire.bytes(Wire.error(Wire.LEASE_LOST, e.getMessage())));
    }
    return errorResponse(e.code().httpStatus(), e.code(), e.getMessage());
  }

  private static StoredResponse errorResponse(int status, ErrorCode code, String message) {
    return new StoredResponse(status, null, JSON, Wire.bytes(Wire.error(code, message)));
  }

  private static StoredResponse error(int status, ErrorCode code, String message) {
    return errorResponse(status, code, message);
  }

  private static void send(HttpExchange exchange, StoredResponse response) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    if (response.etag() != null) {
      exchange.getResponseHeaders().set("ETag", "\"" + response.etag() + "\"");
    }
    byte[] body = response.body();
    exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** A parsed request: method, route below the sandbox id, query parameters and body. */
  private static final class Request {
    final HttpExchange exchange;
    final String method;
    final String route;
    final Map<String, String> params;
    final byte[] body;

    Request(HttpExchange exchange, String method, String route, Map<String, String> params, byte[] body) {
      this.exchange = exchange;
      this.method = method;
      this.route = route;
      this.params = params;
      this.body = body;
    }

    Optional<String> param(String name) {
      return Optional.ofNullable(params.get(name));
    }

    String requiredParam(String name) {
      return param(name).orElseThrow(() -> new InvalidArgumentException("query parameter '" + name + "' is required"));
    }

    boolean booleanParam(String name) {
      String v = params.getOrDefault(name, "false");
      if (!v.equals("true") && !v.equals("false")) {
        throw new InvalidArgumentException("query parameter '" + name + "' must be true or false");
      }
      return v.equals("true");
    }

    long longParam(String name, long fallback) {
      String v = params.get(name);
      if (v == null) {
        return fallback;
      }
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw new InvalidArgumentException("query parameter '" + name + "' must be an integer");
      }
    }
  }
}
