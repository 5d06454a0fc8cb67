package io.chatbuilder.core;

import io.chatbuilder.core.access.AccessDeniedException;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDiff;
import io.chatbuilder.core.checkpoint.LabelledCheckpoint;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * One app as one principal sees it, from {@link ChatBuilder#app(String, AppPrincipal)}: chat and the
 * history operations without repeating the app id, each asked of the facade's
 * {@link AppAccessPolicy} before anything is read or touched (a denied call throws
 * {@link AccessDeniedException} and leaves no run, event or checkpoint). Runs started here carry
 * the principal to every tool and into their {@code run_started} event. Cheap to create; holds no
 * resources.
 */
public final class AppHandle {
  private final ChatBuilder builder;
  private final String appId;
  private final AppPrincipal principal;
  private final AppAccessPolicy policy;

  AppHandle(ChatBuilder builder, String appId, AppPrincipal principal, AppAccessPolicy policy) {
    this.builder = builder;
    this.appId = appId;
    this.principal = principal;
    this.policy = policy;
  }

  public String appId() {
    return appId;
  }

  public AppPrincipal principal() {
    return principal;
  }

  private void check(AppAction action) {
    policy.check(principal, appId, action);
  }

  /** Starts a run for {@code message}; see {@link ChatBuilder#chat(String, RunRequest)}. */
  public RunHandle chat(String message) {
    return chat(RunRequest.builder(message).build());
  }

  /**
   * Starts the run {@code request} describes, on behalf of this handle's principal (the request's own
   * principal is replaced by it).
   */
  public RunHandle chat(RunRequest request) {
    Objects.requireNonNull(request, "request == null");
    RunRequest asThis = request.principal().equals(principal) ? request : request.toBuilder().principal(principal).build();
    return builder.chat(appId, asThis);
  }

  /** Cancels the app's run in progress, if any; returns whether there was one. */
  public boolean cancel() {
    check(AppAction.CANCEL);
    Optional<RunHandle> run = builder.activeRun(appId);
    run.ifPresent(RunHandle::cancel);
    return run.isPresent();
  }

  public Optional<RunHandle> activeRun() {
    check(AppAction.READ);
    return builder.activeRun(appId);
  }

  public List<Event> events(String runId, long afterSeq) {
    check(AppAction.READ);
    return builder.events(appId, runId, afterSeq);
  }

  public List<AppEvent> appEvents(long afterSeq) {
    check(AppAction.READ);
    return builder.appEvents(appId, afterSeq);
  }

  public List<Checkpoint> checkpoints(int limit) {
    check(AppAction.READ);
    return builder.checkpoints(appId, limit);
  }

  public Optional<Checkpoint> head() {
    check(AppAction.READ);
    return builder.head(appId);
  }

  public Checkpoint checkpoint(String checkpointId) {
    check(AppAction.READ);
    return builder.checkpoint(appId, checkpointId);
  }

  public Optional<byte[]> readFile(String checkpointId, String path) {
    check(AppAction.READ);
    return builder.readFile(appId, checkpointId, path);
  }

  public SortedMap<String, Long> files(String checkpointId) {
    check(AppAction.READ);
    return builder.files(appId, checkpointId);
  }

  public CheckpointDiff diff(String fromCheckpointId, String toCheckpointId) {
    check(AppAction.READ);
    return builder.diff(appId, fromCheckpointId, toCheckpointId);
  }

  public ChatBuilder.UndoRedoState undoRedoState() {
    check(AppAction.READ);
    return builder.undoRedoState(appId);
  }

  public Checkpoint undo() {
    check(AppAction.UNDO);
    return builder.undo(appId);
  }

  public Checkpoint redo() {
    check(AppAction.REDO);
    return builder.redo(appId);
  }

  public Checkpoint restore(String checkpointId) {
    check(AppAction.RESTORE);
    return builder.restore(appId, checkpointId);
  }

  public Checkpoint revertFile(String checkpointId, String path) {
    check(AppAction.REVERT_FILE);
    return builder.revertFile(appId, checkpointId, path);
  }

  /** Forks this app at {@code checkpointId} into {@code newAppId}: needs READ here and CREATE on the new app. */
  public Checkpoint fork(String checkpointId, String newAppId) {
    check(AppAction.READ);
    policy.check(principal, newAppId, AppAction.CREATE);
    return builder.fork(appId, checkpointId, newAppId);
  }

  public SortedSet<String> label(String checkpointId, String label) {
    check(AppAction.LABEL);
    return builder.label(appId, checkpointId, label);
  }

  public SortedSet<String> unlabel(String checkpointId, String label) {
    check(AppAction.LABEL);
    return builder.unlabel(appId, checkpointId, label);
  }

  public List<LabelledCheckpoint> labelled() {
    check(AppAction.READ);
    return builder.labelled(appId);
  }

  /** Creates the app from a template: needs CREATE. */
  public Checkpoint create(String templateId) {
    check(AppAction.CREATE);
    return builder.createApp(appId, templateId);
  }

  public DraftStatus startDraft(StatusListener listener) {
    check(AppAction.DRAFT);
    return builder.startDraft(appId, listener);
  }

  public DraftStatus draftStatus() {
    check(AppAction.READ);
    return builder.draftStatus(appId);
  }

  public PublishResult publish(String checkpointId, StatusListener listener) {
    check(AppAction.PUBLISH);
    return builder.publish(appId, checkpointId, listener);
  }

  public List<PublishResult> publishes(int limit) {
    check(AppAction.READ);
    return builder.publishes(appId, limit);
  }
}
