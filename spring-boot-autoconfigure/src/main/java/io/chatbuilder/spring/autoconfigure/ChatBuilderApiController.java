package io.chatbuilder.spring.autoconfigure;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Optional;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
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
 * errors are {@code {"code","message"}} with {@link io.chatbuilder.core.ErrorCode#httpStatus()}
 * ({@link ApiExceptionResolver}, for every controller under the base path); the operations themselves
 * are {@link AppOperations}, shared with the MCP tools.
 */
@RestController
@RequestMapping("${chatbuilder.http.base-path:/admin}")
final class ChatBuilderApiController {

  private final AppOperations ops;
  private final PrincipalResolver principals;
  private final EventStreams streams;
  private final ApiJson json;

  ChatBuilderApiController(AppOperations ops, PrincipalResolver principals, EventStreams streams) {
    this.ops = ops;
    this.principals = principals;
    this.streams = streams;
    this.json = ops.json();
  }

  // ------------------------------------------------------------------ apps

  @GetMapping("/apps")
  ResponseEntity<String> listApps(HttpServletRequest request) {
    return ok(ops.listApps(principals.resolve(request)));
  }

  @PostMapping("/apps")
  ResponseEntity<String> createApp(HttpServletRequest request, @RequestBody(required = false) String body) {
    JsonNode b = read(body);
    return json(201, ops.createApp(principals.resolve(request), requiredText(b, "app_id"), optionalText(b, "template_id")));
  }

  @GetMapping("/templates")
  ResponseEntity<String> templates() {
    return ok(ops.templates());
  }

  // ------------------------------------------------------------------ runs and events

  @PostMapping("/apps/{appId}/builder/chat/stream")
  SseEmitter chatStream(HttpServletRequest request, HttpServletResponse response, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    // The policy is asked before the body is read, so a denied caller learns nothing from its errors.
    ops.authorize(principal, appId, AppAction.CHAT);
    // {"message", "attachments"?}: core's one mapping (JsonCodec.chatInputFromTree) reads and checks it.
    RunHandle run = ops.chat(principal, appId, json.codec().chatInputFromTree(read(body)));
    streamHeaders(response, run.runId());
    return streams.live(run, 0);
  }

  @GetMapping("/apps/{appId}/builder/runs")
  ResponseEntity<String> runs(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "limit", required = false) String limit) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    return ok(ops.runs(principal, appId, positive("limit", limit, 50)));
  }

  @GetMapping("/apps/{appId}/builder/runs/{runId}/events")
  SseEmitter runEvents(HttpServletRequest request, HttpServletResponse response, @PathVariable String appId,
      @PathVariable String runId, @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
      @RequestParam(name = "last_event_id", required = false) String lastEventIdParam) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    long after = seq(lastEventId != null ? lastEventId : lastEventIdParam);
    AppOperations.RunEvents source = ops.runEvents(principal, appId, runId);
    streamHeaders(response, runId);
    if (source instanceof AppOperations.RunEvents.Live live) {
      return streams.live(live.run(), after);
    }
    return streams.replay(runId, ((AppOperations.RunEvents.Finished) source).events(), after);
  }

  /** The app stream: every run start and end, checkpoint, draft and publish change and preview error. */
  @GetMapping("/apps/{appId}/events")
  SseEmitter appEvents(HttpServletRequest request, HttpServletResponse response, @PathVariable String appId,
      @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
      @RequestParam(name = "last_event_id", required = false) String lastEventIdParam) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    long after = seq(lastEventId != null ? lastEventId : lastEventIdParam);
    EventStreams.AppSource source = ops.appEvents(principal, appId);
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("X-Accel-Buffering", "no");
    return streams.app(appId, after, source);
  }

  @PostMapping("/apps/{appId}/builder/cancel")
  ResponseEntity<String> cancel(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.CANCEL);
    read(body);
    return ok(ops.cancel(principal, appId));
  }

  // ------------------------------------------------------------------ checkpoints

  @GetMapping("/apps/{appId}/builder/checkpoints")
  ResponseEntity<String> checkpoints(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "limit", required = false) String limit,
      @RequestParam(name = "before", required = false) String before) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    return ok(ops.checkpoints(principal, appId, positive("limit", limit, 100), Optional.ofNullable(before)));
  }

  @GetMapping("/apps/{appId}/builder/checkpoints/{checkpointId}")
  ResponseEntity<String> checkpoint(HttpServletRequest request, @PathVariable String appId,
      @PathVariable String checkpointId) {
    return ok(ops.checkpoint(principals.resolve(request), appId, checkpointId));
  }

  @GetMapping("/apps/{appId}/builder/checkpoints/{checkpointId}/files")
  ResponseEntity<String> files(HttpServletRequest request, @PathVariable String appId, @PathVariable String checkpointId) {
    return ok(ops.files(principals.resolve(request), appId, checkpointId));
  }

  /** Larger files are refused by the file endpoint (a code view) with 413. */
  static final int MAX_FILE_VIEW_BYTES = 2 << 20;

  @GetMapping("/apps/{appId}/builder/checkpoints/{checkpointId}/file")
  ResponseEntity<String> file(HttpServletRequest request, @PathVariable String appId, @PathVariable String checkpointId,
      @RequestParam(name = "path", required = false) String path) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    return ok(ops.viewFile(principal, appId, checkpointId, required("path", path), MAX_FILE_VIEW_BYTES));
  }

  @PostMapping("/apps/{appId}/builder/undo")
  ResponseEntity<String> undo(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.UNDO);
    read(body);
    return ok(ops.undo(principal, appId));
  }

  @PostMapping("/apps/{appId}/builder/redo")
  ResponseEntity<String> redo(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.REDO);
    read(body);
    return ok(ops.redo(principal, appId));
  }

  @PostMapping("/apps/{appId}/builder/restore")
  ResponseEntity<String> restore(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.RESTORE);
    return ok(ops.restore(principal, appId, requiredText(read(body), "checkpoint_id")));
  }

  @PostMapping("/apps/{appId}/builder/revert-file")
  ResponseEntity<String> revertFile(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.REVERT_FILE);
    JsonNode b = read(body);
    return ok(ops.revertFile(principal, appId, requiredText(b, "checkpoint_id"), requiredText(b, "path")));
  }

  @PostMapping("/apps/{appId}/builder/fork")
  ResponseEntity<String> fork(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    JsonNode b = read(body);
    return json(201, ops.fork(principals.resolve(request), appId, requiredText(b, "checkpoint_id"), requiredText(b, "new_app_id")));
  }

  @GetMapping("/apps/{appId}/builder/labels")
  ResponseEntity<String> labelled(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "label", required = false) String label,
      @RequestParam(name = "prefix", required = false) String prefix) {
    if (prefix != null && !prefix.equals("true") && !prefix.equals("false")) {
      throw new io.chatbuilder.core.InvalidArgumentException("prefix must be true or false, not '" + prefix + "'");
    }
    return ok(ops.labelled(principals.resolve(request), appId, Optional.ofNullable(label), "true".equals(prefix)));
  }

  @PostMapping("/apps/{appId}/builder/checkpoints/{checkpointId}/labels")
  ResponseEntity<String> addLabel(HttpServletRequest request, @PathVariable String appId, @PathVariable String checkpointId,
      @RequestBody(required = false) String body) {
    return ok(ops.addLabel(principals.resolve(request), appId, checkpointId, requiredText(read(body), "label")));
  }

  /** The label is a query parameter: labels may hold '/', which a path segment cannot. */
  @org.springframework.web.bind.annotation.DeleteMapping("/apps/{appId}/builder/checkpoints/{checkpointId}/labels")
  ResponseEntity<String> removeLabel(HttpServletRequest request, @PathVariable String appId, @PathVariable String checkpointId,
      @RequestParam(name = "label", required = false) String label) {
    if (label == null) {
      throw new io.chatbuilder.core.InvalidArgumentException("the query parameter 'label' is required");
    }
    return ok(ops.removeLabel(principals.resolve(request), appId, checkpointId, label));
  }

  @GetMapping("/apps/{appId}/builder/diff")
  ResponseEntity<String> diff(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "from", required = false) String from, @RequestParam(name = "to", required = false) String to) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    return ok(ops.diff(principal, appId, required("from", from), required("to", to)));
  }

  // ------------------------------------------------------------------ draft and publish

  @GetMapping("/apps/{appId}/builder/draft")
  ResponseEntity<String> draftStatus(HttpServletRequest request, @PathVariable String appId) {
    return ok(ops.draftStatus(principals.resolve(request), appId));
  }

  @PostMapping("/apps/{appId}/builder/draft")
  ResponseEntity<String> startDraft(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.DRAFT);
    read(body);
    return ok(ops.startDraft(principal, appId));
  }

  @PostMapping("/apps/{appId}/builder/publish")
  ResponseEntity<String> publish(HttpServletRequest request, @PathVariable String appId,
      @RequestBody(required = false) String body) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.PUBLISH);
    return ok(ops.publish(principal, appId, optionalText(read(body), "checkpoint_id")));
  }

  @GetMapping("/apps/{appId}/builder/publishes")
  ResponseEntity<String> publishes(HttpServletRequest request, @PathVariable String appId,
      @RequestParam(name = "limit", required = false) String limit) {
    AppPrincipal principal = principals.resolve(request);
    ops.authorize(principal, appId, AppAction.READ);
    return ok(ops.publishes(principal, appId, positive("limit", limit, 20)));
  }

  // ------------------------------------------------------------------ helpers

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
