package io.chatbuilder.spring.autoconfigure;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunRequest;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDiff;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a caller can do with apps, each operation authorized by the {@link AppAccessPolicy} before
 * it touches the app and answered in the API's JSON shapes. The HTTP controller and the MCP tools
 * are two front doors to these same operations, so access control and answers cannot drift apart.
 * Errors are thrown as {@link ChatBuilderException}s; {@link ApiErrors} maps them for both.
 */
final class AppOperations {
  static final int MAX_LIST = 500;

  private final ChatBuilder builder;
  private final AppAccessPolicy policy;
  private final Optional<String> defaultTemplate;
  private final PublishedSiteUrls siteUrls;
  private final ApiJson json = new ApiJson();

  AppOperations(ChatBuilder builder, AppAccessPolicy policy) {
    this(builder, policy, Optional.empty(), result -> Optional.empty());
  }

  /**
   * @param defaultTemplate the template of an app created without one; the first by id when empty
   * @param siteUrls where published sites are served, for {@code site_url}
   */
  AppOperations(ChatBuilder builder, AppAccessPolicy policy, Optional<String> defaultTemplate, PublishedSiteUrls siteUrls) {
    this.builder = Objects.requireNonNull(builder, "builder == null");
    this.policy = Objects.requireNonNull(policy, "policy == null");
    this.defaultTemplate = Objects.requireNonNull(defaultTemplate, "defaultTemplate == null");
    this.siteUrls = Objects.requireNonNull(siteUrls, "siteUrls == null");
  }

  ApiJson json() {
    return json;
  }

  // ------------------------------------------------------------------ templates

  /** The templates new apps can start from, by id; they belong to no app, so no policy is asked. */
  ObjectNode templates() {
    ArrayNode templates = json.codec().arrayNode();
    builder.templates().values().stream().sorted(java.util.Comparator.comparing(io.chatbuilder.core.runtime.AppTemplate::id))
        .forEach(t -> templates.addObject().put("id", t.id()).put("description", t.description()));
    return (ObjectNode) json.object().set("templates", templates);
  }

  // ------------------------------------------------------------------ apps

  ObjectNode listApps(AppPrincipal principal) {
    ArrayNode apps = json.codec().arrayNode();
    for (String appId : builder.checkpointStore().apps()) {
      if (!policy.allows(principal, appId, AppAction.READ)) {
        continue; // the list shows only what the caller may see
      }
      ObjectNode app = apps.addObject().put("app_id", appId);
      builder.checkpointStore().head(appId).ifPresent(h -> app.set("head", json.codec().checkpointToTree(h)));
    }
    return (ObjectNode) json.object().set("apps", apps);
  }

  ObjectNode createApp(AppPrincipal principal, String appId, Optional<String> template) {
    authorize(principal, appId, AppAction.CREATE);
    String templateId = template.or(() -> defaultTemplate).orElseGet(() -> builder.templates().keySet().stream().sorted().findFirst()
        .orElseThrow(() -> new InvalidArgumentException("no templates are registered: define an AppTemplate bean")));
    Checkpoint initial = builder.createApp(appId, templateId);
    ObjectNode o = json.object().put("app_id", appId).put("template_id", templateId);
    o.set("checkpoint", json.codec().checkpointToTree(initial));
    return o;
  }

  // ------------------------------------------------------------------ runs and events

  /**
   * Starts a run on behalf of {@code principal} (its name reaches the tools and the run_started
   * event); busy and bad input fail here, before anything streams.
   */
  RunHandle chat(AppPrincipal principal, String appId, ChatInput input) {
    authorize(principal, appId, AppAction.CHAT);
    requireApp(appId);
    return builder.chat(appId, new RunRequest(input, principal, java.util.Map.of(), java.util.Optional.empty()));
  }

  ObjectNode runs(AppPrincipal principal, String appId, int limit) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    ObjectNode o = json.object();
    ArrayNode ids = o.putArray("run_ids");
    builder.runIds(appId, limit).forEach(ids::add);
    builder.activeRun(appId).ifPresent(r -> o.put("active_run_id", r.runId()));
    return o;
  }

  /** The app stream (DESIGN §3.1 "The app stream"): its log and live delivery, for a caller allowed to read the app. */
  EventStreams.AppSource appEvents(AppPrincipal principal, String appId) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    return new EventStreams.AppSource() {
      @Override
      public List<io.chatbuilder.core.event.AppEvent> read(long after) {
        return builder.appEvents(appId, after);
      }

      @Override
      public RunHandle.Subscription subscribe(long after, io.chatbuilder.core.event.AppEventListener listener) {
        return builder.subscribeApp(appId, after, listener);
      }
    };
  }

  /** What a run's event stream starts from: the run in progress, or the events of a finished one. */
  sealed interface RunEvents {
    record Live(RunHandle run) implements RunEvents {}

    record Finished(List<Event> events) implements RunEvents {}
  }

  RunEvents runEvents(AppPrincipal principal, String appId, String runId) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    Optional<RunHandle> active = builder.activeRun(appId).filter(r -> r.runId().equals(runId));
    if (active.isPresent()) {
      return new RunEvents.Live(active.get());
    }
    List<Event> events = builder.events(appId, runId, 0);
    if (events.isEmpty()) {
      throw new NotFoundException("app " + appId + " has no run '" + runId + "'");
    }
    return new RunEvents.Finished(events);
  }

  /**
   * The run's events with {@code seq > after}, at most {@code max} of them, waiting up to
   * {@code waitMillis} for the run to end when it is in progress (for callers that poll instead of
   * streaming). {@code done} says whether the last event the run will ever emit is included.
   */
  ObjectNode eventsPage(AppPrincipal principal, String appId, String runId, long after, int max, long waitMillis)
      throws InterruptedException {
    RunEvents source = runEvents(principal, appId, runId);
    ArrayNode events = json.codec().arrayNode();
    long last = after;
    boolean done;
    if (source instanceof RunEvents.Live live) {
      LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
      done = false;
      try (RunHandle.Subscription ignored = live.run().subscribe(after, queue::add)) {
        while (events.size() < max && !done) {
          long left = deadline - System.nanoTime();
          Event e = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          if (e == null) {
            break;
          }
          events.add(json.codec().toTree(e));
          last = e.seq();
          done = e.terminal();
        }
      }
    } else {
      List<Event> all = ((RunEvents.Finished) source).events();
      done = true;
      for (Event e : all) {
        if (e.seq() <= after) {
          continue;
        }
        if (events.size() == max) {
          done = false;
          break;
        }
        events.add(json.codec().toTree(e));
        last = e.seq();
      }
    }
    ObjectNode o = json.object().put("run_id", runId).put("last_seq", last).put("done", done);
    o.set("events", events);
    return o;
  }

  ObjectNode cancel(AppPrincipal principal, String appId) {
    authorize(principal, appId, AppAction.CANCEL);
    requireApp(appId);
    Optional<RunHandle> run = builder.activeRun(appId);
    run.ifPresent(RunHandle::cancel);
    ObjectNode o = json.object().put("cancelled", run.isPresent());
    run.ifPresent(r -> o.put("run_id", r.runId()));
    return o;
  }

  // ------------------------------------------------------------------ checkpoints

  ObjectNode checkpoints(AppPrincipal principal, String appId, int limit, Optional<String> before) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    int n = Math.min(limit, MAX_LIST);
    List<Checkpoint> list = before.isPresent() ? builder.checkpoints(appId, n, before.get()) : builder.checkpoints(appId, n);
    ObjectNode o = json.object();
    ArrayNode items = o.putArray("checkpoints");
    list.forEach(c -> items.add(json.codec().checkpointToTree(c)));
    builder.head(appId).ifPresent(h -> o.put("head_id", h.id()));
    ChatBuilder.UndoRedoState state = builder.undoRedoState(appId);
    o.put("can_undo", state.canUndo()).put("can_redo", state.canRedo());
    return o;
  }

  ObjectNode checkpoint(AppPrincipal principal, String appId, String checkpointId) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    return json.codec().checkpointToTree(builder.checkpoint(appId, checkpointId));
  }

  ObjectNode files(AppPrincipal principal, String appId, String checkpointId) {
    return files(principal, appId, Optional.of(checkpointId));
  }

  /** The files of a checkpoint, the head's when none is named. */
  ObjectNode files(AppPrincipal principal, String appId, Optional<String> checkpoint) {
    authorize(principal, appId, AppAction.READ);
    Checkpoint head = requireApp(appId);
    String checkpointId = checkpoint.orElse(head.id());
    ArrayNode files = json.codec().arrayNode();
    builder.files(appId, checkpointId).forEach((path, size) -> files.addObject().put("path", path).put("size", size));
    return (ObjectNode) json.object().put("checkpoint_id", checkpointId).set("files", files);
  }

  /**
   * One file of a checkpoint for a code view: {@code content} only when it is UTF-8 text without
   * NUL characters, else {@code binary: true}. The path goes through the sandbox's path rules (a
   * hostile one is refused, never read); files over {@code maxBytes} are refused with too_large.
   */
  ObjectNode viewFile(AppPrincipal principal, String appId, String checkpointId, String path, int maxBytes) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    String normalized = io.chatbuilder.core.sandbox.SandboxPaths.normalize(path);
    byte[] bytes = builder.readFile(appId, checkpointId, normalized)
        .orElseThrow(() -> new NotFoundException("checkpoint " + checkpointId + " has no file '" + path + "'"));
    if (bytes.length > maxBytes) {
      throw new io.chatbuilder.core.TooLargeException("file '" + path + "' has " + bytes.length
          + " bytes; files up to " + maxBytes + " bytes are shown");
    }
    ObjectNode o = json.object().put("checkpoint_id", checkpointId).put("path", normalized).put("size", bytes.length);
    Optional<String> text = utf8(bytes).filter(t -> t.indexOf('\0') < 0);
    o.put("binary", text.isEmpty());
    text.ifPresent(t -> o.put("content", t));
    return o;
  }

  private static Optional<String> utf8(byte[] bytes) {
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /**
   * One file of a checkpoint (the head when none is named): {@code content} as text when it is
   * UTF-8, else {@code content_base64}.
   */
  ObjectNode readFile(AppPrincipal principal, String appId, Optional<String> checkpointId, String path) {
    authorize(principal, appId, AppAction.READ);
    Checkpoint head = requireApp(appId);
    String id = checkpointId.orElse(head.id());
    byte[] bytes = builder.readFile(appId, id, path)
        .orElseThrow(() -> new NotFoundException("checkpoint " + id + " of app " + appId + " has no file '" + path + "'"));
    ObjectNode o = json.object().put("checkpoint_id", id).put("path", path).put("size", bytes.length);
    utf8(bytes).ifPresentOrElse(t -> o.put("content", t),
        () -> o.put("content_base64", Base64.getEncoder().encodeToString(bytes)));
    return o;
  }

  ObjectNode undo(AppPrincipal principal, String appId) {
    authorize(principal, appId, AppAction.UNDO);
    requireApp(appId);
    return history(appId, builder.undo(appId));
  }

  ObjectNode redo(AppPrincipal principal, String appId) {
    authorize(principal, appId, AppAction.REDO);
    requireApp(appId);
    return history(appId, builder.redo(appId));
  }

  ObjectNode restore(AppPrincipal principal, String appId, String checkpointId) {
    authorize(principal, appId, AppAction.RESTORE);
    requireApp(appId);
    return history(appId, builder.restore(appId, checkpointId));
  }

  ObjectNode revertFile(AppPrincipal principal, String appId, String checkpointId, String path) {
    authorize(principal, appId, AppAction.REVERT_FILE);
    requireApp(appId);
    return history(appId, builder.revertFile(appId, checkpointId, path));
  }

  /** Forks a checkpoint of {@code sourceAppId} into the new app {@code newAppId} (READ on the source, CREATE on the new one). */
  ObjectNode fork(AppPrincipal principal, String sourceAppId, String checkpointId, String newAppId) {
    authorize(principal, sourceAppId, AppAction.READ);
    authorize(principal, newAppId, AppAction.CREATE);
    requireApp(sourceAppId);
    Checkpoint fork = builder.fork(sourceAppId, checkpointId, newAppId);
    ObjectNode o = json.object().put("app_id", newAppId).put("source_app_id", sourceAppId);
    o.set("checkpoint", json.codec().checkpointToTree(fork));
    return o;
  }

  ObjectNode addLabel(AppPrincipal principal, String appId, String checkpointId, String label) {
    authorize(principal, appId, AppAction.LABEL);
    requireApp(appId);
    return labelsJson(checkpointId, builder.label(appId, checkpointId, label));
  }

  ObjectNode removeLabel(AppPrincipal principal, String appId, String checkpointId, String label) {
    authorize(principal, appId, AppAction.LABEL);
    requireApp(appId);
    return labelsJson(checkpointId, builder.unlabel(appId, checkpointId, label));
  }

  /** The app's labelled checkpoints, newest first; only those with {@code label} (exact or as a prefix) when given. */
  ObjectNode labelled(AppPrincipal principal, String appId, Optional<String> label, boolean prefix) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    List<io.chatbuilder.core.checkpoint.LabelledCheckpoint> found = label.isEmpty() ? builder.labelled(appId)
        : builder.findByLabel(appId, prefix ? io.chatbuilder.core.checkpoint.LabelQuery.prefix(label.get())
            : io.chatbuilder.core.checkpoint.LabelQuery.exact(label.get()));
    ObjectNode o = json.object();
    ArrayNode items = o.putArray("checkpoints");
    for (io.chatbuilder.core.checkpoint.LabelledCheckpoint c : found) {
      ObjectNode item = items.addObject();
      item.set("checkpoint", json.codec().checkpointToTree(c.checkpoint()));
      ArrayNode labels = item.putArray("labels");
      c.labels().forEach(labels::add);
      item.put("bookmarked", c.bookmarked());
    }
    return o;
  }

  private ObjectNode labelsJson(String checkpointId, java.util.SortedSet<String> labels) {
    ObjectNode o = json.object().put("checkpoint_id", checkpointId);
    ArrayNode array = o.putArray("labels");
    labels.forEach(array::add);
    return o;
  }

  ObjectNode diff(AppPrincipal principal, String appId, String from, String to) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    CheckpointDiff diff = builder.diff(appId, from, to);
    ObjectNode o = json.object();
    o.set("from", json.codec().checkpointToTree(diff.from()));
    o.set("to", json.codec().checkpointToTree(diff.to()));
    ArrayNode files = o.putArray("files");
    for (CheckpointDiff.FileDiff f : diff.files()) {
      ObjectNode file = json.codec().fileChangeToTree(f.change());
      f.unifiedDiff().ifPresent(d -> file.put("unified_diff", d));
      files.add(file);
    }
    return o;
  }

  // ------------------------------------------------------------------ draft and publish

  ObjectNode draftStatus(AppPrincipal principal, String appId) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    return draftJson(builder.draftStatus(appId));
  }

  ObjectNode startDraft(AppPrincipal principal, String appId) {
    authorize(principal, appId, AppAction.DRAFT);
    requireApp(appId);
    return draftJson(builder.startDraft(appId, StatusListener.NONE));
  }

  ObjectNode publish(AppPrincipal principal, String appId, Optional<String> checkpointId) {
    authorize(principal, appId, AppAction.PUBLISH);
    requireApp(appId);
    PublishResult result = checkpointId.isPresent()
        ? builder.publish(appId, checkpointId.get(), StatusListener.NONE)
        : builder.publish(appId, StatusListener.NONE);
    return publishJson(result);
  }

  ObjectNode publishes(AppPrincipal principal, String appId, int limit) {
    authorize(principal, appId, AppAction.READ);
    requireApp(appId);
    ArrayNode list = json.codec().arrayNode();
    builder.publishes(appId, limit).forEach(r -> list.add(publishJson(r)));
    return (ObjectNode) json.object().set("publishes", list);
  }

  // ------------------------------------------------------------------ helpers

  /** Asks the policy; front doors call it before parsing input so a denied caller learns nothing from input errors. */
  void authorize(AppPrincipal principal, String appId, AppAction action) {
    policy.check(principal, appId, action);
  }

  private Checkpoint requireApp(String appId) {
    return builder.head(appId)
        .orElseThrow(() -> new NotFoundException("no app '" + appId + "'; create it first (POST /apps or create_app)"));
  }

  private ObjectNode history(String appId, Checkpoint checkpoint) {
    ObjectNode o = json.object();
    o.set("checkpoint", json.codec().checkpointToTree(checkpoint));
    ChatBuilder.UndoRedoState state = builder.undoRedoState(appId);
    o.put("can_undo", state.canUndo()).put("can_redo", state.canRedo());
    return o;
  }

  private ObjectNode publishJson(PublishResult r) {
    ObjectNode o = json.object()
        .put("publish_id", r.publishId()).put("app_id", r.appId()).put("checkpoint_id", r.checkpointId())
        .put("revision_id", r.revisionId()).put("success", r.success()).put("manifest_hash", r.manifestHash())
        .put("files", r.manifest().size()).put("build_log", r.buildLog()).put("started_at", r.startedAt().toString())
        .put("duration_ms", r.duration().toMillis());
    r.error().ifPresent(e -> o.put("error", e));
    r.outputLocation().ifPresent(l -> o.put("output_location", l));
    if (r.success()) {
      siteUrls.siteUrl(r).ifPresent(u -> o.put("site_url", u));
    }
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
}
