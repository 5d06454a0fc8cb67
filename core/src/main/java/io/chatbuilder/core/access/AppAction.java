package io.chatbuilder.core.access;

/** What a caller wants to do with an app; every HTTP endpoint asks the {@link AppAccessPolicy} for one. */
public enum AppAction {
  /** Create a new app (the app id is the one to be created; a fork also needs READ on its source). */
  CREATE,
  /** See the app: in the app list, its checkpoints, files, diffs, runs, events, draft and publishes. */
  READ,
  /** Send a chat message (start a run). */
  CHAT,
  /** Cancel the app's run in progress. */
  CANCEL,
  UNDO,
  REDO,
  RESTORE,
  REVERT_FILE,
  /** Add or remove labels and bookmarks on the app's checkpoints. */
  LABEL,
  /** Start the app's draft preview. */
  DRAFT,
  PUBLISH
}
