package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDiff;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The studio's HTTP API (DESIGN §3.4), the UI's assets and the previews, on one JDK
 * {@code HttpServer} handler. Errors are JSON {@code {"code","message"}} with the status of their
 * {@link ErrorCode}. Event streams are Server-Sent Events with {@code id:} = the event's
 * {@code seq}, so a client that reconnects with {@code Last-Event-ID} gets the rest of the run and
 * nothing twice.
 */
final class StudioServer implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(StudioServer.class);
  private static final String API = "admin";
  private static final int MAX_LIST = 500;
  static final int MAX_FILE_VIEW_BYTES = 2 << 20;

  /**
   * What the UI shows about the studio's setup.
   *
   * @param isolated false where the host opted into running app code unisolated: the UI then shows a warning
   */
  record Info(String model, boolean demo, String draftMode, boolean isolated) {}

  private final ChatBuilder builder;
  private final Info info;
  private final Publisher publisher;
  private final long heartbeatMillis;
  private final int maxRequestBytes;
  private final JsonCodec codec = new JsonCodec();

  StudioServer(ChatBuilder builder, Info info, Publisher publisher, java.time.Duration heartbeat, int maxRequestBytes) {
    this.builder = builder;
    this.info = info;
    this.publisher = publisher;
    this.heartbeatMillis = heartbeat.toMillis();
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      try {
        route(exchange);
      } catch (ChatBuilderException e) {
        sendError(exchange, e.code(), e.getMessage());
      } catch (MethodNotAllowed e) {
        exchange.getResponseHeaders().set("Allow", e.allowed);
        sendJson(exchange, 405, error("method_not_allowed", e.getMessage()));
      } catch (IllegalStateException e) {
        // E.g. a publish or draft with no runtime configured: a setup problem, not bad input.
        sendJson(exchange, 501, error("not_configured", e.getMessage()));
      } catch (IOException e) {
        LOG.debug("client went away: {}", e.toString());
      } catch (RuntimeException e) {
        LOG.warn("request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        sendError(exchange, ErrorCode.INTERNAL, "internal error: " + e);
      }
    } finally {
      exchange.close();
    }
  }

  // ------------------------------------------------------------------ routing

  private void route(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
    List<String> p = segments(ex.getRequestURI().getRawPath());
    if (p.isEmpty() || p.equals(List.of("index.html"))) {
      get(method);
      serveResource(ex, "index.html");
      return;
    }
    switch (p.get(0)) {
      case "ui" -> {
        get(method);
        serveResource(ex, String.join("/", p.subList(1, p.size())));
        return;
      }
      case "published" -> {
        get(method);
        servePublished(ex, p);
        return;
      }
      case API -> {
        routeApi(ex, method, p.subList(1, p.size()));
        return;
      }
      default -> throw new NotFoundException("no such resource: " + ex.getRequestURI().getRawPath());
    }
  }

  private void routeApi(HttpExchange ex, String method, List<String> p) throws IOException {
    if (p.equals(List.of("studio"))) {
      get(method);
      var body = codec.objectNode().put("model", info.model()).put("demo", info.demo())
          .put("draft_mode", info.draftMode()).put("isolated", info.isolated());
      if (!info.isolated()) {
        body.put("isolation_warning", "sandboxes are not isolated: app code (npm, dev servers, builds, commands) "
            + "runs as plain processes of this machine, with its files, environment and network");
      }
      sendJson(ex, 200, body);
      return;
    }
    if (p.equals(List.of("templates"))) {
      get(method);
      ArrayNode templates = codec.arrayNode();
      builder.templates().values().stream().sorted(java.util.Comparator.comparing(AppTemplate::id))
          .forEach(t -> templates.addObject().put("id", t.id()).put("description", t.description()));
      sendJson(ex, 200, codec.objectNode().set("templates", templates));
      return;
    }
    if (p.equals(List.of("apps"))) {
      if (method.equals("GET")) {
        listApps(ex);
      } else if (method.equals("POST")) {
        createApp(ex);
      } else {
        throw new MethodNotAllowed(method, "GET, POST");
      }
      return;
    }
    if (p.size() == 3 && p.get(0).equals("apps") && p.get(2).equals("events")) {
      get(method);
      requireApp(p.get(1));
      appStream(ex, p.get(1), lastEventId(ex));
      return;
    }
    if (p.size() >= 3 && p.get(0).equals("apps") && p.get(2).equals("builder")) {
      routeBuilder(ex, method, p.get(1), p.subList(3, p.size()));
      return;
    }
    throw new NotFoundException("no such API route: " + ex.getRequestURI().getRawPath());
  }

  private void routeBuilder(HttpExchange ex, String method, String appId, List<String> p) throws IOException {
    requireApp(appId);
    String first = p.isEmpty() ? "" : p.get(0);
    switch (first) {
      case "chat" -> {
        if (p.size() == 2 && p.get(1).equals("stream")) {
          post(method);
          chatStream(ex, appId);
          return;
        }
      }
      case "runs" -> {
        if (p.size() == 1) {
          get(method);
          ObjectNode o = codec.objectNode();
          ArrayNode ids = o.putArray("run_ids");
          builder.runIds(appId, intParam(query(ex), "limit", 50)).forEach(ids::add);
          builder.activeRun(appId).ifPresent(r -> o.put("active_run_id", r.runId()));
          sendJson(ex, 200, o);
          return;
        }
        if (p.size() == 3 && p.get(2).equals("events")) {
          get(method);
          replay(ex, appId, p.get(1));
          return;
        }
      }
      case "cancel" -> {
        if (p.size() == 1) {
          post(method);
          Optional<RunHandle> run = builder.activeRun(appId);
          run.ifPresent(RunHandle::cancel);
          ObjectNode o = codec.objectNode().put("cancelled", run.isPresent());
          run.ifPresent(r -> o.put("run_id", r.runId()));
          sendJson(ex, 200, o);
          return;
        }
      }
      case "checkpoints" -> {
        get(method);
        if (p.size() == 1) {
          listCheckpoints(ex, appId);
          return;
        }
        if (p.size() == 2) {
          sendJson(ex, 200, codec.checkpointToTree(builder.checkpoint(appId, p.get(1))));
          return;
        }
        if (p.size() == 3 && p.get(2).equals("files")) {
          ArrayNode files = codec.arrayNode();
          builder.files(appId, p.get(1)).forEach((path, size) -> files.addObject().put("path", path).put("size", size));
          sendJson(ex, 200, codec.objectNode().put("checkpoint_id", p.get(1)).set("files", files));
          return;
        }
        if (p.size() == 3 && p.get(2).equals("file")) {
          fileContent(ex, appId, p.get(1), requiredParam(query(ex), "path"));
          return;
        }
      }
      case "undo" -> {
        if (p.size() == 1) {
          post(method);
          readBody(ex);
          sendHistory(ex, appId, builder.undo(appId));
          return;
        }
      }
      case "redo" -> {
        if (p.size() == 1) {
          post(method);
          readBody(ex);
          sendHistory(ex, appId, builder.redo(appId));
          return;
        }
      }
      case "restore" -> {
        if (p.size() == 1) {
          post(method);
          JsonNode body = readBody(ex);
          sendHistory(ex, appId, builder.restore(appId, requiredText(body, "checkpoint_id")));
          return;
        }
      }
      case "revert-file" -> {
        if (p.size() == 1) {
          post(method);
          JsonNode body = readBody(ex);
          sendHistory(ex, appId, builder.revertFile(appId, requiredText(body, "checkpoint_id"), requiredText(body, "path")));
          return;
        }
      }
      case "diff" -> {
        if (p.size() == 1) {
          get(method);
          Map<String, String> q = query(ex);
          diff(ex, appId, requiredParam(q, "from"), requiredParam(q, "to"));
          return;
        }
      }
      case "publish" -> {
        if (p.size() == 1) {
          post(method);
          JsonNode body = readBody(ex);
          Optional<String> checkpointId = optionalText(body, "checkpoint_id");
          PublishResult result = checkpointId.isPresent()
              ? builder.publish(appId, checkpointId.get(), StatusListener.NONE)
              : builder.publish(appId, StatusListener.NONE);
          sendJson(ex, 200, publishJson(result));
          return;
        }
      }
      case "publishes" -> {
        if (p.size() == 1) {
          get(method);
          ArrayNode list = codec.arrayNode();
          builder.publishes(appId, intParam(query(ex), "limit", 20)).forEach(r -> list.add(publishJson(r)));
          sendJson(ex, 200, codec.objectNode().set("publishes", list));
          return;
        }
      }
      case "draft" -> {
        if (p.size() == 1) {
          if (method.equals("GET")) {
            sendJson(ex, 200, draftJson(builder.draftStatus(appId)));
          } else if (method.equals("POST")) {
            readBody(ex);
            sendJson(ex, 200, draftJson(builder.startDraft(appId, StatusListener.NONE)));
          } else {
            throw new MethodNotAllowed(method, "GET, POST");
          }
          return;
        }
      }
      default -> {
        // falls through to not found
      }
    }
    throw new NotFoundException("no such API route: " + ex.getRequestURI().getRawPath());
  }

  // ------------------------------------------------------------------ apps and checkpoints

  private void requireApp(String appId) {
    if (builder.head(appId).isEmpty()) {
      throw new NotFoundException("no app '" + appId + "'; create it first with POST /admin/apps");
    }
  }

  private void listApps(HttpExchange ex) throws IOException {
    ArrayNode apps = codec.arrayNode();
    for (String appId : builder.checkpointStore().apps()) {
      ObjectNode app = apps.addObject().put("app_id", appId);
      builder.checkpointStore().head(appId).ifPresent(h -> app.set("head", codec.checkpointToTree(h)));
    }
    sendJson(ex, 200, codec.objectNode().set("apps", apps));
  }

  private void createApp(HttpExchange ex) throws IOException {
    JsonNode body = readBody(ex);
    String appId = requiredText(body, "app_id");
    String templateId = optionalText(body, "template_id").orElse(StarterTemplate.ID);
    Checkpoint initial = builder.createApp(appId, templateId);
    ObjectNode o = codec.objectNode().put("app_id", appId).put("template_id", templateId);
    o.set("checkpoint", codec.checkpointToTree(initial));
    sendJson(ex, 201, o);
  }

  private void listCheckpoints(HttpExchange ex, String appId) throws IOException {
    Map<String, String> q = query(ex);
    int limit = Math.min(intParam(q, "limit", 100), MAX_LIST);
    List<Checkpoint> list = q.containsKey("before")
        ? builder.checkpoints(appId, limit, q.get("before"))
        : builder.checkpoints(appId, limit);
    ObjectNode o = codec.objectNode();
    ArrayNode items = o.putArray("checkpoints");
    list.forEach(c -> items.add(codec.checkpointToTree(c)));
    builder.head(appId).ifPresent(h -> o.put("head_id", h.id()));
    ChatBuilder.UndoRedoState state = builder.undoRedoState(appId);
    o.put("can_undo", state.canUndo()).put("can_redo", state.canRedo());
    sendJson(ex, 200, o);
  }

  private void sendHistory(HttpExchange ex, String appId, Checkpoint checkpoint) throws IOException {
    ObjectNode o = codec.objectNode();
    o.set("checkpoint", codec.checkpointToTree(checkpoint));
    ChatBuilder.UndoRedoState state = builder.undoRedoState(appId);
    o.put("can_undo", state.canUndo()).put("can_redo", state.canRedo());
    sendJson(ex, 200, o);
  }

  private void diff(HttpExchange ex, String appId, String from, String to) throws IOException {
    CheckpointDiff diff = builder.diff(appId, from, to);
    ObjectNode o = codec.objectNode();
    o.set("from", codec.checkpointToTree(diff.from()));
    o.set("to", codec.checkpointToTree(diff.to()));
    ArrayNode files = o.putArray("files");
    for (CheckpointDiff.FileDiff f : diff.files()) {
      ObjectNode file = codec.fileChangeToTree(f.change());
      f.unifiedDiff().ifPresent(d -> file.put("unified_diff", d));
      files.add(file);
    }
    sendJson(ex, 200, o);
  }

  /**
   * One file of a checkpoint for the code view: its text, or {@code binary: true} (no content) when
   * it is not UTF-8 text. The path goes through the sandbox's path rules (a hostile one is refused,
   * never read); files over {@link #MAX_FILE_VIEW_BYTES} are refused with 413.
   */
  private void fileContent(HttpExchange ex, String appId, String checkpointId, String path) throws IOException {
    byte[] bytes = builder.readFile(appId, checkpointId, path)
        .orElseThrow(() -> new NotFoundException("checkpoint " + checkpointId + " has no file '" + path + "'"));
    if (bytes.length > MAX_FILE_VIEW_BYTES) {
      throw new TooLargeException("file '" + path + "' has " + bytes.length + " bytes; the code view shows files up to "
          + MAX_FILE_VIEW_BYTES + " bytes");
    }
    ObjectNode o = codec.objectNode().put("checkpoint_id", checkpointId)
        .put("path", io.chatbuilder.core.sandbox.SandboxPaths.normalize(path)).put("size", bytes.length);
    Optional<String> text = utf8Text(bytes);
    o.put("binary", text.isEmpty());
    text.ifPresent(t -> o.put("content", t));
    sendJson(ex, 200, o);
  }

  /** The bytes as text when they are valid UTF-8 without NUL characters; empty for binary files. */
  private static Optional<String> utf8Text(byte[] bytes) {
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
      return text.indexOf('\0') >= 0 ? Optional.empty() : Optional.of(text);
    } catch (java.nio.charset.CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private ObjectNode publishJson(PublishResult r) {
    ObjectNode o = codec.objectNode()
        .put("publish_id", r.publishId()).put("app_id", r.appId()).put("checkpoint_id", r.checkpointId())
        .put("revision_id", r.revisionId()).put("success", r.success()).put("manifest_hash", r.manifestHash())
        .put("files", r.manifest().size()).put("build_log", r.buildLog()).put("started_at", r.startedAt().toString())
        .put("duration_ms", r.duration().toMillis());
    r.error().ifPresent(e -> o.put("error", e));
    r.outputLocation().ifPresent(l -> o.put("output_location", l));
    if (siteDirectory(r.appId(), r.publishId()).isPresent()) {
      o.put("site_url", "/published/" + r.appId() + "/" + r.publishId() + "/");
    }
    return o;
  }

  private ObjectNode draftJson(DraftStatus s) {
    ObjectNode o = codec.objectNode().put("app_id", s.appId()).put("state", s.state().name().toLowerCase(Locale.ROOT))
        .put("mode", info.draftMode()).put("restarts", s.restarts()).put("since", s.since().toString());
    s.previewUrl().ifPresent(u -> o.put("preview_url", u));
    s.error().ifPresent(e -> o.put("error", e));
    ArrayNode log = o.putArray("log_tail");
    s.logTail().forEach(log::add);
    return o;
  }

  // ------------------------------------------------------------------ event streams

  /**
   * {@code {"message", "attachments"?}}: the attachments (selected elements, file references, preview
   * errors, images) through core's one JSON mapping, which checks them and their limits. The body may
   * be larger than other requests' by the base64 of the most image bytes a message may carry.
   */
  private void chatStream(HttpExchange ex, String appId) throws IOException {
    JsonNode body = readBody(ex, maxChatRequestBytes());
    requiredText(body, "message");
    ChatInput input = codec.chatInputFromTree(body);
    RunHandle run = builder.chat(appId, input); // busy and bad input fail here, before the stream opens
    stream(ex, run, 0);
  }

  private int maxChatRequestBytes() {
    long images = 4L * ((ChatInput.MAX_IMAGE_BYTES_TOTAL + 2) / 3);
    return (int) Math.min(Integer.MAX_VALUE, maxRequestBytes + images);
  }

  private void replay(HttpExchange ex, String appId, String runId) throws IOException {
    long after = lastEventId(ex);
    Optional<RunHandle> active = builder.activeRun(appId).filter(r -> r.runId().equals(runId));
    if (active.isPresent()) {
      stream(ex, active.get(), after);
      return;
    }
    List<Event> events = builder.events(appId, runId, 0);
    if (events.isEmpty()) {
      throw new NotFoundException("app " + appId + " has no run '" + runId + "'");
    }
    openStream(ex, runId);
    OutputStream out = ex.getResponseBody();
    for (Event e : events) {
      if (e.seq() > after) {
        writeEvent(out, e);
      }
    }
    out.flush();
  }

  private long lastEventId(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Last-Event-ID");
    String value = header != null ? header : query(ex).get("last_event_id");
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      long seq = Long.parseLong(value.strip());
      if (seq < 0) {
        throw new InvalidArgumentException("Last-Event-ID must be a non-negative event seq, not '" + value + "'");
      }
      return seq;
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException("Last-Event-ID must be a non-negative event seq, not '" + value + "'");
    }
  }

  /**
   * Streams a run's events with {@code seq > after}. The run's listener only enqueues (it runs on
   * the agent's thread and must not block on a slow client); this request's thread writes. A
   * client that goes away does not cancel the run: it can reconnect with {@code Last-Event-ID}.
   */
  private void stream(HttpExchange ex, RunHandle run, long after) throws IOException {
    BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    openStream(ex, run.runId());
    OutputStream out = ex.getResponseBody();
    RunHandle.Subscription subscription = run.subscribe(after, queue::offer);
    try {
      long written = after;
      long lastWrite = System.nanoTime();
      while (true) {
        Event e = queue.poll(Math.min(250, heartbeatMillis), TimeUnit.MILLISECONDS);
        if (e != null) {
          if (e.seq() <= written) {
            continue;
          }
          writeEvent(out, e);
          written = e.seq();
          lastWrite = System.nanoTime();
          if (e.terminal()) {
            break;
          }
          continue;
        }
        if (run.completion().isDone() && queue.isEmpty()) {
          break; // every event was delivered before completion; nothing more will come
        }
        if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastWrite) >= heartbeatMillis) {
          out.write(": heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          lastWrite = System.nanoTime();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      subscription.close(); // also when the client went away mid-write
    }
  }

  /**
   * The app stream (DESIGN §3.1): the app's events with {@code seq > after} from the log, then live
   * ones until the client leaves. Same rules as a run's stream: the listener only enqueues; gaps
   * (events appended concurrently or by another host) are read from the log; a heartbeat also reads
   * the log, so nothing waits longer than one heartbeat.
   */
  private void appStream(HttpExchange ex, String appId, long after) throws IOException {
    BlockingQueue<AppEvent> queue = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.getResponseHeaders().set("X-Accel-Buffering", "no");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(("retry: 1000\n: app " + appId + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    long written = writeAppEventsFromLog(out, appId, after);
    RunHandle.Subscription subscription = builder.subscribeApp(appId, written, queue::offer);
    try {
      long lastWrite = System.nanoTime();
      while (true) {
        AppEvent e = queue.poll(Math.min(250, heartbeatMillis), TimeUnit.MILLISECONDS);
        if (e != null) {
          if (e.seq() > written + 1) {
            written = writeAppEventsFromLog(out, appId, written);
          }
          if (e.seq() > written) {
            writeAppEvent(out, e);
            written = e.seq();
          }
          lastWrite = System.nanoTime();
          continue;
        }
        if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastWrite) >= heartbeatMillis) {
          long before = written;
          written = writeAppEventsFromLog(out, appId, written);
          if (written == before) {
            out.write(": heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
          }
          lastWrite = System.nanoTime();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      subscription.close(); // also when the client went away mid-write
    }
  }

  private long writeAppEventsFromLog(OutputStream out, String appId, long after) throws IOException {
    long written = after;
    while (true) {
      List<AppEvent> page = builder.appEvents(appId, written);
      if (page.isEmpty()) {
        return written;
      }
      for (AppEvent e : page) {
        if (e.seq() > written) {
          writeAppEvent(out, e);
          written = e.seq();
        }
      }
    }
  }

  private void writeAppEvent(OutputStream out, AppEvent e) throws IOException {
    String frame = "id: " + e.seq() + "\nevent: " + e.type() + "\ndata: " + codec.toJson(e) + "\n\n";
    out.write(frame.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void openStream(HttpExchange ex, String runId) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.getResponseHeaders().set("X-Accel-Buffering", "no");
    ex.getResponseHeaders().set("X-Run-Id", runId);
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(("retry: 2000\n: run " + runId + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void writeEvent(OutputStream out, Event e) throws IOException {
    // JSON printed compactly has no raw newlines, so one data: line carries it.
    String frame = "id: " + e.seq() + "\nevent: " + e.type() + "\ndata: " + codec.toJson(e) + "\n\n";
    out.write(frame.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  // ------------------------------------------------------------------ files

  private void serveResource(HttpExchange ex, String name) throws IOException {
    if (name.isEmpty() || name.contains("..") || name.startsWith("/")) {
      throw new NotFoundException("no such UI file: " + name);
    }
    try (InputStream in = StudioServer.class.getResourceAsStream("ui/" + name)) {
      if (in == null) {
        throw new NotFoundException("no such UI file: " + name);
      }
      sendBytes(ex, 200, contentType(name), in.readAllBytes());
    }
  }

  private void servePublished(HttpExchange ex, List<String> p) throws IOException {
    if (p.size() < 3) {
      throw new NotFoundException("published URLs are /published/<app>/<publish id>/<path>");
    }
    String appId = p.get(1);
    requireApp(appId);
    Path site = siteDirectory(appId, p.get(2))
        .orElseThrow(() -> new NotFoundException("app " + appId + " has no published site '" + p.get(2) + "'"));
    String path = p.size() == 3 ? "index.html" : String.join("/", p.subList(3, p.size()));
    Path file = site.resolve(path).normalize();
    if (!file.startsWith(site) || path.startsWith(".") || path.contains("/.") || !Files.isRegularFile(file)) {
      throw new NotFoundException("publish " + p.get(2) + " has no file " + path);
    }
    sendBytes(ex, 200, contentType(path), Files.readAllBytes(file));
  }

  /** The directory a successful publish wrote its site to, when it is a local directory. */
  private Optional<Path> siteDirectory(String appId, String publishId) {
    return publisher.find(appId, publishId).filter(PublishResult::success).flatMap(PublishResult::outputLocation)
        .flatMap(location -> {
          try {
            Path dir = Path.of(location);
            return dir.isAbsolute() && Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
          } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
          }
        });
  }

  static String contentType(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    return switch (ext) {
      case "html", "htm" -> "text/html; charset=utf-8";
      case "js", "mjs", "jsx" -> "text/javascript; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "json", "map" -> "application/json; charset=utf-8";
      case "svg" -> "image/svg+xml";
      case "png" -> "image/png";
      case "jpg", "jpeg" -> "image/jpeg";
      case "gif" -> "image/gif";
      case "webp" -> "image/webp";
      case "ico" -> "image/x-icon";
      case "woff2" -> "font/woff2";
      case "txt", "md" -> "text/plain; charset=utf-8";
      default -> "application/octet-stream";
    };
  }

  // ------------------------------------------------------------------ request helpers

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Map<String, String> query(HttpExchange ex) {
    String raw = ex.getRequestURI().getRawQuery();
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.putIfAbsent(key, value);
      }
    }
    return out;
  }

  private static String requiredParam(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null || v.isBlank()) {
      throw new InvalidArgumentException("missing query parameter '" + name + "'");
    }
    return v;
  }

  private static int intParam(Map<String, String> q, String name, int defaultValue) {
    String v = q.get(name);
    if (v == null || v.isBlank()) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException("query parameter '" + name + "' must be a positive integer, not '" + v + "'");
    }
  }

  /** The request's JSON object; an empty body is an empty object. */
  private JsonNode readBody(HttpExchange ex) throws IOException {
    return readBody(ex, maxRequestBytes);
  }

  private JsonNode readBody(HttpExchange ex, int limit) throws IOException {
    byte[] bytes = readLimited(ex.getRequestBody(), limit);
    if (bytes.length == 0 || new String(bytes, StandardCharsets.UTF_8).isBlank()) {
      return codec.objectNode();
    }
    JsonNode node = codec.read(new String(bytes, StandardCharsets.UTF_8));
    if (!node.isObject()) {
      throw new InvalidArgumentException("the request body must be a JSON object");
    }
    return node;
  }

  private static byte[] readLimited(InputStream in, int maxRequestBytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) > 0) {
      out.write(buffer, 0, n);
      if (out.size() > maxRequestBytes) {
        // Read on (up to a bound) before answering: closing with unread bytes resets the connection,
        // and the client would see a reset instead of the 413.
        long swallowed = 0;
        while (swallowed < 16L * maxRequestBytes && (n = in.read(buffer)) > 0) {
          swallowed += n;
        }
        throw new TooLargeException("request body is larger than " + maxRequestBytes + " bytes");
      }
    }
    return out.toByteArray();
  }

  private static String requiredText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidArgumentException("missing field '" + field + "'");
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new InvalidArgumentException("field '" + field + "' must be a non-empty string");
    }
    return v.asText();
  }

  private static Optional<String> optionalText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    return Optional.of(requiredText(body, field));
  }

  private static void get(String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new MethodNotAllowed(method, "GET");
    }
  }

  private static void post(String method) {
    if (!method.equals("POST")) {
      throw new MethodNotAllowed(method, "POST");
    }
  }

  // ------------------------------------------------------------------ responses

  private ObjectNode error(String code, String message) {
    return codec.objectNode().put("code", code).put("message", message);
  }

  private void sendError(HttpExchange ex, ErrorCode code, String message) throws IOException {
    if (ex.getResponseCode() != -1) {
      return; // a stream was already open: the client sees it end and reconnects
    }
    sendJson(ex, code.httpStatus(), error(code.wireName(), message));
  }

  private void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
    if (ex.getResponseCode() != -1) {
      return;
    }
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    sendBytes(ex, status, "application/json; charset=utf-8", codec.write(body).getBytes(StandardCharsets.UTF_8));
  }

  private static void sendBytes(HttpExchange ex, int status, String contentType, byte[] bytes) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    boolean head = ex.getRequestMethod().equalsIgnoreCase("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : bytes.length == 0 ? -1 : bytes.length);
    if (!head && bytes.length > 0) {
      ex.getResponseBody().write(bytes);
    }
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().set("Location", location);
    ex.sendResponseHeaders(302, -1);
  }

  /** A route exists but not for this method (405). */
  private static final class MethodNotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String allowed;

    MethodNotAllowed(String method, String allowed) {
      super("method " + method + " is not allowed here; use " + allowed);
      this.allowed = allowed;
    }
  }
}
