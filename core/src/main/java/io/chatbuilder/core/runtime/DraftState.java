package io.chatbuilder.core.runtime;

/** Lifecycle of an app's draft dev server. */
public enum DraftState {
  STOPPED,
  INSTALLING,
  STARTING,
  RUNNING,
  /** Crashed and being restarted. */
  RESTARTING,
  /** Could not start; see {@link DraftStatus#error()}. */
  FAILED
}
