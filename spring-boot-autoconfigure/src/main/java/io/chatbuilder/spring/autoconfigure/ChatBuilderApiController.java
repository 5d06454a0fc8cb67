package io.chatbuilder.spring.autoconfigure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDiff;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The HTTP API of DESIGN §3.4 under {@code chatbuilder.http.base-path} (default {@code /admin}),
 * with the JSON shapes of the studio's API. Every endpoint asks the {@link AppAccessPolicy} first;
 * errors are {@code {"code","message"}} with {@link ErrorCode#httpStatus()}.
 */
@RestController
@RequestMapping("${chatbuilder.http.base-path:/admin}")
final class ChatBuilderApiController {
  private static final Logger LOG = LoggerFactory.getLogger(ChatBuilderApiController.class);
  private static final int MAX_LIST = 500;

  private final ChatBuilder builder;
  private final AppAccessPolicy policy;
  private final PrincipalResolver principals;
  private final EventStreams streams;
  private final ApiJson json = new ApiJson();

  ChatBuilderApiController(ChatBuilder builder, AppAccessPolicy policy, PrincipalResolver principals,
      EventStreams streams) {
    this.builder = builder;
    this.policy = policy;
    this.principals = principals;
    this.streams = streams;
  }

  // ------------------------------------------------------------------ apps

  @GetMapping("/apps")
  ResponseEntity<String> listApps(HttpServletRequest request) {
    AppPrincipal principal = principals.resolve(request);
    ArrayNode apps = json.codec().mapper().createArrayNode();
    for (String appId : builder.checkpointStore().apps()) {
      if (!policy.allows(principal, appId, AppAction.READ)) {
        continue; // the list shows only what the caller may see
      }
      ObjectNode app = apps.addObject().put("app_id", appId);
      builder.checkpointStore().head(appId).ifPresent(h -> app.set("head", json.codec().checkpointToTree(h)));
    }
    return ok(json.object().set("apps", apps));
  }

  @PostMapping("/apps")
  ResponseEntity<String> createApp(HttpServletRequest request, @RequestBody(required = false) String body) {
    JsonNode b = read(body);
    String appId = requiredText(b, "app_id");
    authorize(request, appId, AppAction.CREATE);
    Optional<String> template = optionalText(b, "template_id");
    String templateId = template.orElseGet(() -> builder.templates().keySet().stream().sorted().findFirst()
        .orElseThrow(() -> new InvalidArgumentException("no templates are registered: define an AppTemplate bean")));
    Checkpoint initial = builder.createApp(appId, templateId);
    ObjectNode o = json.object().put("app_id", appId).put("template_id", templateId);
    o.set("checkpoint", json.codec().checkpointToTree(initial));
    return json(201, o);
  }

  // ------------------------------------------------------------------ runs and events

  @PostMapping("/apps/{appId}/builder/chat/stream")
  SseEmitter chatStream(HttpServletRequest request, HttpServletResponse response, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.CHAT);
    requireApp(appId);
    String message = requiredText(read(body), "message");
    RunHandle run = builder.chat(appId, message); // busy and bad input fail here, before the stream opens
    streamHeaders(response, run.runId());
    return streams.live(run, 0);
  }

  @GetMapping("/apps/{appId}/builder/runs")
  ResponseEntity<String> runs(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "limit", required = false) String limit) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    ObjectNode o = json.object();
    ArrayNode ids = o.putArray("run_ids");
    builder.runIds(appId, positive("limit", limit, 50)).forEach(ids::add);
    builder.activeRun(appId).ifPresent(r -> o.put("active_run_id", r.runId()));
    return ok(o);
  }

  @GetMapping("/apps/{appId}/builder/runs/{runId}/events")
  SseEmitter runEvents(HttpServletRequest request, HttpServletResponse response, @PathVariable String appId,
      @PathVariable String runId, @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
      @RequestParam(name = "last_event_id", required = false) String lastEventIdParam) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    long after = seq(lastEventId != null ? lastEventId : lastEventIdParam);
    Optional<RunHandle> active = builder.activeRun(appId).filter(r -> r.runId().equals(runId));
    if (active.isPresent()) {
      streamHeaders(response, runId);
      return streams.live(active.get(), after);
    }
    List<Event> events = builder.events(appId, runId, 0);
    if (events.isEmpty()) {
      throw new NotFoundException("app " + appId + " has no run '" + runId + "'");
    }
    streamHeaders(response, runId);
    return streams.replay(runId, events, after);
  }

  @PostMapping("/apps/{appId}/builder/cancel")
  ResponseEntity<String> cancel(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.CANCEL);
    requireApp(appId);
    read(body);
    Optional<RunHandle> run = builder.activeRun(appId);
    run.ifPresent(RunHandle::cancel);
    ObjectNode o = json.object().put("cancelled", run.isPresent());
    run.ifPresent(r -> o.put("run_id", r.runId()));
    return ok(o);
  }

  // ------------------------------------------------------------------ checkpoints

  @GetMapping("/apps/{appId}/builder/checkpoints")
  ResponseEntity<String> checkpoints(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "before", required = false) String before) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    int n = Math.min(positive("limit", limit, 100), MAX_LIST);
    List<Checkpoint> list = before != null ? builder.checkpoints(appId, n, before) : builder.checkpoints(appId, n);
    ObjectNode o = json.object();
    ArrayNode items = o.putArray("checkpoints");
    list.forEach(c -> items.add(json.codec().checkpointToTree(c)));
    builder.head(appId).ifPresent(h -> o.put("head_id", h.id()));
    ChatBuilder.UndoRedoState state = builder.undoRedoState(appId);
    o.put("can_undo", state.canUndo()).put("can_redo", state.canRedo());
    return ok(o);
  }

  @GetMapping("/apps/{appId}/builder/checkpoints/{checkpointId}")
  ResponseEntity<String> checkpoint(HttpServletRequest request, @PathVariable String appId,
      @PathVariable String checkpointId) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    return ok(json.codec().checkpointToTree(builder.checkpoint(appId, checkpointId)));
  }

  @GetMapping("/apps/{appId}/builder/checkpoints/{checkpointId}/files")
  ResponseEntity<String> files(HttpServletRequest request, @PathVariable String appId, @PathVariable String checkpointId) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    ArrayNode files = json.codec().mapper().createArrayNode();
    builder.files(appId, checkpointId).forEach((path, size) -> files.addObject().put("path", path).put("size", size));
    return ok(json.object().put("checkpoint_id", checkpointId).set("files", files));
  }

  @PostMapping("/apps/{appId}/builder/undo")
  ResponseEntity<String> undo(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.UNDO);
    requireApp(appId);
    read(body);
    return history(appId, builder.undo(appId));
  }

  @PostMapping("/apps/{appId}/builder/redo")
  ResponseEntity<String> redo(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.REDO);
    requireApp(appId);
    read(body);
    return history(appId, builder.redo(appId));
  }

  @PostMapping("/apps/{appId}/builder/restore")
  ResponseEntity<String> restore(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.RESTORE);
    requireApp(appId);
    return history(appId, builder.restore(appId, requiredText(read(body), "checkpoint_id")));
  }

  @PostMapping("/apps/{appId}/builder/revert-file")
  ResponseEntity<String> revertFile(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.REVERT_FILE);
    requireApp(appId);
    JsonNode b = read(body);
    return history(appId, builder.revertFile(appId, requiredText(b, "checkpoint_id"), requiredText(b, "path")));
  }

  @GetMapping("/apps/{appId}/builder/diff")
  ResponseEntity<String> diff(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "from", required = false) String from, @RequestParam(name = "to", required = false) String to) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    CheckpointDiff diff = builder.diff(appId, required("from", from), required("to", to));
    ObjectNode o = json.object();
    o.set("from", json.codec().checkpointToTree(diff.from()));
    o.set("to", json.codec().checkpointToTree(diff.to()));
    ArrayNode files = o.putArray("files");
    for (CheckpointDiff.FileDiff f : diff.files()) {
      ObjectNode file = json.codec().fileChangeToTree(f.change());
      f.unifiedDiff().ifPresent(d -> file.put("unified_diff", d));
      files.add(file);
    }
    return ok(o);
  }

  // ------------------------------------------------------------------ draft and publish

  @GetMapping("/apps/{appId}/builder/draft")
  ResponseEntity<String> draftStatus(HttpServletRequest request, @PathVariable String appId) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    return ok(draftJson(builder.draftStatus(appId)));
  }

  @PostMapping("/apps/{appId}/builder/draft")
  ResponseEntity<String> startDraft(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.DRAFT);
    requireApp(appId);
    read(body);
    return ok(draftJson(builder.startDraft(appId, StatusListener.NONE)));
  }

  @PostMapping("/apps/{appId}/builder/publish")
  ResponseEntity<String> publish(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    authorize(request, appId, AppAction.PUBLISH);
    requireApp(appId);
    Optional<String> checkpointId = optionalText(read(body), "checkpoint_id");
    PublishResult result = checkpointId.isPresent()
        ? builder.publish(appId, checkpointId.get(), StatusListener.NONE)
        : builder.publish(appId, StatusListener.NONE);
    return ok(publishJson(result));
  }

  @GetMapping("/apps/{appId}/builder/publishes")
  ResponseEntity<String> publishes(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "limit", required = false) String limit) {
    authorize(request, appId, AppAction.READ);
    requireApp(appId);
    ArrayNode list = json.codec().mapper().createArrayNode();
    builder.publishes(appId, positive("limit", limit, 20)).forEach(r -> list.add(publishJson(r)));
    return ok(json.object().set("publishes", list));
  }

  // ------------------------------------------------------------------ errors

  @ExceptionHandler(ChatBuilderException.class)
  ResponseEntity<String> onChatBuilderException(ChatBuilderException e) {
    return json(e.code().httpStatus(), errorJson(e.code().wireName(), e.getMessage()));
  }

  /** E.g. a publish or draft with no runtime configured: a setup problem, not bad input. */
  @ExceptionHandler(IllegalStateException.class)
  ResponseEntity<String> onNotConfigured(IllegalStateException e) {
    return json(501, errorJson("not_configured", e.getMessage()));
  }

  @ExceptionHandler(RuntimeException.class)
  ResponseEntity<String> onUnexpected(HttpServletRequest request, RuntimeException e) {
    LOG.warn("request {} {} failed", request.getMethod(), request.getRequestURI(), e);
    return json(ErrorCode.INTERNAL.httpStatus(), errorJson(ErrorCode.INTERNAL.wireName(), "internal error: " + e));
  }

  // ------------------------------------------------------------------ helpers

  private void authorize(HttpServletRequest request, String appId, AppAction action) {
    AppPrincipal principal = principals.resolve(request);
    if (!policy.allows(principal, appId, action)) {
      throw new ChatBuilderException(ErrorCode.UNAUTHORIZED,
          principal.name() + " may not " + action.name().toLowerCase(Locale.ROOT) + " app " + appId);
    }
  }

  private void requireApp(String appId) {
    if (builder.head(appId).isEmpty()) {
      throw new NotFoundException("no app '" + appId + "'; create it first with POST /apps");
    }
  }

  private ResponseEntity<String> history(String appId, Checkpoint checkpoint) {
    ObjectNode o = json.object();
    o.set("checkpoint", json.codec().checkpointToTree(checkpoint));
    ChatBuilder.UndoRedoState state = builder.undoRedoState(appId);
    o.put("can_undo", state.canUndo()).put("can_redo", state.canRedo());
    return ok(o);
  }

  private ObjectNode publishJson(PublishResult r) {
    ObjectNode o = json.object()
        .put("publish_id", r.publishId()).put("app_id", r.appId()).put("checkpoint_id", r.checkpointId())
        .put("revision_id", r.revisionId()).put("success", r.success()).put("manifest_hash", r.manifestHash())
        .put("files", r.manifest().size()).put("build_log", r.buildLog()).put("started_at", r.startedAt().toString())
        .put("duration_ms", r.duration().toMillis());
    r.error().ifPresent(e -> o.put("error", e));
    r.outputLocation().ifPresent(l -> o.put("output_location", l));
    return o;
  }

  private ObjectNode draftJson(DraftStatus s) {
    ObjectNode o = json.object().put("app_id", s.appId()).put("state", s.state().name().toLowerCase(Locale.ROOT))
        .put("restarts", s.restarts()).put("since", s.since().toString());
    s.previewUrl().ifPresent(u -> o.put("preview_url", u));
    s.error().ifPresent(e -> o.put("error", e));
    ArrayNode log = o.putArray("log_tail");
    s.logTail().forEach(log::add);
    return o;
  }

  private static void streamHeaders(HttpServletResponse response, String runId) {
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("X-Accel-Buffering", "no");
    response.setHeader("X-Run-Id", runId);
  }

  private JsonNode read(String body) {
    if (body == null || body.isBlank()) {
      return json.object();
    }
    JsonNode node = json.codec().read(body);
    if (!node.isObject()) {
      throw new InvalidArgumentException("the request body must be a JSON object");
    }
    return node;
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
    return v == null || v.isNull() ? Optional.empty() : Optional.of(requiredText(body, field));
  }

  private static String required(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidArgumentException("missing query parameter '" + name + "'");
    }
    return value;
  }

  private static int positive(String name, String value, int defaultValue) {
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // falls through to the error
    }
    throw new InvalidArgumentException("query parameter '" + name + "' must be a positive integer, not '" + value + "'");
  }

  private static long seq(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      long seq = Long.parseLong(value.strip());
      if (seq >= 0) {
        return seq;
      }
    } catch (NumberFormatException e) {
      // falls through to the error
    }
    throw new InvalidArgumentException("Last-Event-ID must be a non-negative event seq, not '" + value + "'");
  }

  private String errorJson(String code, String message) {
    return json.error(code, message);
  }

  private ResponseEntity<String> ok(JsonNode body) {
    return json(200, body);
  }

  private ResponseEntity<String> json(int status, JsonNode body) {
    return json(status, json.write(body));
  }

  private static ResponseEntity<String> json(int status, String body) {
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store")
        .body(body);
  }
}
