package io.chatbuilder.spring.autoconfigure;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.model.ChatInput;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ChatBuilder as MCP tools. Each tool is a thin front door to one {@link AppOperations} call, the
 * same the HTTP API makes: the same {@link AppAccessPolicy} decides, and failures come back through
 * {@link ApiErrors} as a tool error ({@code isError}) whose text starts with the error's code.
 *
 * <p>The caller is the principal of the HTTP request that carried the tool call, put into the MCP
 * transport context by the servlet transport's context extractor ({@link #PRINCIPAL_KEY}); without
 * one it is anonymous.
 */
final class McpTools {
  private static final Logger LOG = LoggerFactory.getLogger(McpTools.class);
  static final String PRINCIPAL_KEY = "chatbuilder.principal";

  private final AppOperations ops;
  private final long maxWaitMillis;
  private final int maxEvents;

  McpTools(AppOperations ops, Duration maxWait, int maxEvents) {
    this.ops = Objects.requireNonNull(ops, "ops == null");
    this.maxWaitMillis = maxWait.toMillis();
    this.maxEvents = maxEvents;
  }

  /** The transport context of one HTTP request: who sent it. */
  static McpTransportContext context(AppPrincipal principal) {
    return McpTransportContext.create(Map.of(PRINCIPAL_KEY, principal));
  }

  List<SyncToolSpecification> specifications() {
    List<SyncToolSpecification> tools = new ArrayList<>();
    tools.add(tool("list_apps", "List the apps the caller may read, each with its head checkpoint.",
        schema(), (p, a) -> ops.listApps(p)));
    tools.add(tool("create_app", "Create an app from a template (the first registered one when template_id is left out).",
        schema(APP, prop("template_id", "string", "the template to start from")),
        (p, a) -> ops.createApp(p, text(a, "app_id"), optText(a, "template_id"))));
    tools.add(tool("chat", "Send a message to the app's builder agent. Starts a run and returns its run_id at once; "
            + "read its events with run_events (wait_seconds waits for the run to end).",
        schema(APP, req(prop("message", "string", "what the person asks for")),
            prop("attachments", "array", "context for the message, as in the HTTP API's chat request: "
                + "{type: element, file, line, column, tag, text?}, {type: file, path, start_line?, end_line?}, "
                + "{type: diagnostic, kind, message, file?, line?, column?}, {type: image, media_type, name?, data (base64)}")),
        (p, a) -> {
          String appId = text(a, "app_id");
          // The policy first, as over HTTP: a denied caller learns nothing from its arguments' errors.
          ops.authorize(p, appId, AppAction.CHAT);
          // core's one mapping of a chat request reads message and attachments (other arguments are ignored)
          ChatInput input = ops.json().codec().chatInputFromTree(ops.json().codec().fromJava(a));
          RunHandle run = ops.chat(p, appId, input);
          return ops.json().object().put("app_id", run.appId()).put("run_id", run.runId());
        }));
    tools.add(tool("run_events", "Events of a run with seq > after_seq (JSON as in the HTTP API's event streams). "
            + "With wait_seconds, waits up to that long (at most " + maxWaitMillis / 1000 + " s) while the run is in "
            + "progress (keep it below your client's request timeout); done is true once the run's terminal event is "
            + "included. Call again with after_seq = last_seq for more.",
        schema(APP, req(prop("run_id", "string", "the run, as chat returned it")),
            prop("after_seq", "integer", "only events after this seq (default 0: all)"),
            prop("wait_seconds", "number", "how long to wait for the run to end (default 0)"),
            prop("max_events", "integer", "at most this many events (default and cap " + maxEvents + ")")),
        (p, a) -> {
          long after = optLong(a, "after_seq").orElse(0L);
          if (after < 0) {
            throw new InvalidArgumentException("after_seq must be >= 0");
          }
          double wait = optNumber(a, "wait_seconds").orElse(0.0);
          if (wait < 0 || Double.isNaN(wait)) {
            throw new InvalidArgumentException("wait_seconds must be >= 0");
          }
          long waitMillis = Math.min(maxWaitMillis, (long) (wait * 1000));
          int max = (int) Math.min(maxEvents, optLong(a, "max_events").orElse((long) maxEvents));
          if (max < 1) {
            throw new InvalidArgumentException("max_events must be >= 1");
          }
          try {
            return ops.eventsPage(p, text(a, "app_id"), text(a, "run_id"), after, max, waitMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.chatbuilder.core.CancelledException("interrupted while waiting for events");
          }
        }));
    tools.add(tool("cancel", "Cancel the app's run in progress, if any.", schema(APP), (p, a) -> ops.cancel(p, text(a, "app_id"))));
    tools.add(tool("list_runs", "The app's latest run ids, newest first, and the run in progress.",
        schema(APP, prop("limit", "integer", "how many (default 50)")),
        (p, a) -> ops.runs(p, text(a, "app_id"), positive(a, "limit", 50))));
    tools.add(tool("list_checkpoints", "The app's checkpoints, newest first, with head_id, can_undo and can_redo.",
        schema(APP, prop("limit", "integer", "how many (default 100, at most " + AppOperations.MAX_LIST + ")"),
            prop("before", "string", "only checkpoints older than this checkpoint id")),
        (p, a) -> ops.checkpoints(p, text(a, "app_id"), positive(a, "limit", 100), optText(a, "before"))));
    tools.add(tool("undo", "Undo the app's latest change not already undone; records an undo checkpoint.",
        schema(APP), (p, a) -> ops.undo(p, text(a, "app_id"))));
    tools.add(tool("redo", "Re-apply the app's latest undone change; records a redo checkpoint.",
        schema(APP), (p, a) -> ops.redo(p, text(a, "app_id"))));
    tools.add(tool("restore", "Set the app's files to those of any checkpoint; records a restore checkpoint.",
        schema(APP, req(prop("checkpoint_id", "string", "the checkpoint to restore"))),
        (p, a) -> ops.restore(p, text(a, "app_id"), text(a, "checkpoint_id"))));
    tools.add(tool("revert_file", "Set one file to its content in a checkpoint (deleting it if it did not exist there).",
        schema(APP, req(prop("checkpoint_id", "string", "the checkpoint to take the file from")),
            req(prop("path", "string", "the file's path in the app"))),
        (p, a) -> ops.revertFile(p, text(a, "app_id"), text(a, "checkpoint_id"), text(a, "path"))));
    tools.add(tool("diff", "The files changed between two checkpoints of the app, with unified diffs of text files.",
        schema(APP, req(prop("from", "string", "the older checkpoint id")), req(prop("to", "string", "the newer checkpoint id"))),
        (p, a) -> ops.diff(p, text(a, "app_id"), text(a, "from"), text(a, "to"))));
    tools.add(tool("list_files", "The files of a checkpoint (the head when checkpoint_id is left out) with their sizes.",
        schema(APP, prop("checkpoint_id", "string", "the checkpoint (default: the head)")),
        (p, a) -> ops.files(p, text(a, "app_id"), optText(a, "checkpoint_id"))));
    tools.add(tool("read_file", "One file of a checkpoint (the head when checkpoint_id is left out): content as text, "
            + "or content_base64 when it is not UTF-8.",
        schema(APP, req(prop("path", "string", "the file's path in the app")),
            prop("checkpoint_id", "string", "the checkpoint (default: the head)")),
        (p, a) -> ops.readFile(p, text(a, "app_id"), optText(a, "checkpoint_id"), text(a, "path"))));
    tools.add(tool("draft_status", "The state of the app's draft preview.", schema(APP),
        (p, a) -> ops.draftStatus(p, text(a, "app_id"))));
    tools.add(tool("start_draft", "Start (or keep) the app's draft preview; returns its state and preview URL.", schema(APP),
        (p, a) -> ops.startDraft(p, text(a, "app_id"))));
    tools.add(tool("publish", "Build and publish the app (the head, or checkpoint_id).",
        schema(APP, prop("checkpoint_id", "string", "the checkpoint to publish (default: the head)")),
        (p, a) -> ops.publish(p, text(a, "app_id"), optText(a, "checkpoint_id"))));
    tools.add(tool("list_publishes", "The app's latest publishes, newest first.",
        schema(APP, prop("limit", "integer", "how many (default 20)")),
        (p, a) -> ops.publishes(p, text(a, "app_id"), positive(a, "limit", 20))));
    tools.add(tool("fork", "Start a new app from one checkpoint of this app (its files, none of its history); "
            + "needs read access to this app and create access to the new one.",
        schema(APP, req(prop("checkpoint_id", "string", "the checkpoint to start from")),
            req(prop("new_app_id", "string", "the id of the new app"))),
        (p, a) -> ops.fork(p, text(a, "app_id"), text(a, "checkpoint_id"), text(a, "new_app_id"))));
    tools.add(tool("list_labels", "The app's labelled checkpoints, newest first, each with all its labels; "
            + "only those with label (exact, or as a prefix when prefix is true) when given.",
        schema(APP, prop("label", "string", "only checkpoints with this label"),
            prop("prefix", "boolean", "match label as a prefix (default false)")),
        (p, a) -> ops.labelled(p, text(a, "app_id"), optText(a, "label"), bool(a, "prefix"))));
    tools.add(tool("add_label", "Label a checkpoint (a release name, or 'bookmark'); returns its labels.",
        schema(APP, req(prop("checkpoint_id", "string", "the checkpoint to label")),
            req(prop("label", "string", "the label"))),
        (p, a) -> ops.addLabel(p, text(a, "app_id"), text(a, "checkpoint_id"), text(a, "label"))));
    tools.add(tool("remove_label", "Remove one label from a checkpoint; returns its labels.",
        schema(APP, req(prop("checkpoint_id", "string", "the checkpoint")), req(prop("label", "string", "the label"))),
        (p, a) -> ops.removeLabel(p, text(a, "app_id"), text(a, "checkpoint_id"), text(a, "label"))));
    return List.copyOf(tools);
  }

  // ------------------------------------------------------------------ one tool

  @FunctionalInterface
  private interface Handler {
    ObjectNode call(AppPrincipal principal, Map<String, Object> arguments) throws Exception;
  }

  private SyncToolSpecification tool(String name, String description, Map<String, Object> inputSchema, Handler handler) {
    McpSchema.Tool tool = McpSchema.Tool.builder().name(name).description(description).inputSchema(inputSchema).build();
    return SyncToolSpecification.builder().tool(tool)
        .callHandler((exchange, request) -> call(name, handler, principal(exchange), request.arguments()))
        .build();
  }

  private McpSchema.CallToolResult call(String name, Handler handler, AppPrincipal principal, Map<String, Object> arguments) {
    try {
      ObjectNode result = handler.call(principal, arguments == null ? Map.of() : arguments);
      return McpSchema.CallToolResult.builder().addTextContent(ops.json().write(result))
          .structuredContent(toMap(result)).isError(false).build();
    } catch (Exception e) {
      ApiErrors.ApiError error = ApiErrors.of(e);
      if (error.unexpected()) {
        LOG.warn("MCP tool {} failed", name, e);
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("code", error.code());
      body.put("message", error.message());
      body.put("status", error.status());
      return McpSchema.CallToolResult.builder().addTextContent(error.code() + ": " + error.message())
          .structuredContent(body).isError(true).build();
    }
  }

  private static AppPrincipal principal(McpSyncServerExchange exchange) {
    McpTransportContext context = exchange.transportContext();
    Object p = context == null ? null : context.get(PRINCIPAL_KEY);
    return p instanceof AppPrincipal principal ? principal : AppPrincipal.ANONYMOUS;
  }

  private Map<String, Object> toMap(ObjectNode node) {
    return ops.json().codec().toJavaMap(node);
  }

  // ------------------------------------------------------------------ schemas and arguments

  private static final Map<String, Object> APP = req(prop("app_id", "string", "the app"));

  private static Map<String, Object> prop(String name, String type, String description) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("name", name);
    p.put("type", type);
    p.put("description", description);
    return p;
  }

  private static Map<String, Object> req(Map<String, Object> prop) {
    Map<String, Object> p = new LinkedHashMap<>(prop);
    p.put("required", true);
    return p;
  }

  @SafeVarargs
  private static Map<String, Object> schema(Map<String, Object>... props) {
    Map<String, Object> properties = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (Map<String, Object> p : props) {
      String name = (String) p.get("name");
      properties.put(name, Map.of("type", p.get("type"), "description", p.get("description")));
      if (Boolean.TRUE.equals(p.get("required"))) {
        required.add(name);
      }
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "object");
    s.put("properties", properties);
    s.put("required", required);
    s.put("additionalProperties", false);
    return s;
  }

  private static String text(Map<String, Object> args, String name) {
    Object v = args.get(name);
    if (v == null) {
      throw new InvalidArgumentException("missing argument '" + name + "'");
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new InvalidArgumentException("argument '" + name + "' must be a non-empty string");
    }
    return s;
  }

  private static Optional<String> optText(Map<String, Object> args, String name) {
    return args.get(name) == null ? Optional.empty() : Optional.of(text(args, name));
  }

  private static boolean bool(Map<String, Object> args, String name) {
    Object v = args.get(name);
    if (v == null) {
      return false;
    }
    if (!(v instanceof Boolean flag)) {
      throw new InvalidArgumentException("argument '" + name + "' must be true or false");
    }
    return flag;
  }

  private static Optional<Double> optNumber(Map<String, Object> args, String name) {
    Object v = args.get(name);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof Number n)) {
      throw new InvalidArgumentException("argument '" + name + "' must be a number");
    }
    return Optional.of(n.doubleValue());
  }

  private static Optional<Long> optLong(Map<String, Object> args, String name) {
    Object v = args.get(name);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new InvalidArgumentException("argument '" + name + "' must be an integer");
    }
    return Optional.of(n.longValue());
  }

  private static int positive(Map<String, Object> args, String name, int defaultValue) {
    long n = optLong(args, name).orElse((long) defaultValue);
    if (n < 1 || n > Integer.MAX_VALUE) {
      throw new InvalidArgumentException("argument '" + name + "' must be a positive integer");
    }
    return (int) n;
  }
}
