package io.chatbuilder.sandbox.local;

/** Whether commands run inside bubblewrap ({@code bwrap}). */
public enum Isolation {
  /** Use bubblewrap when it is installed and works here (probed once at build); otherwise run unisolated and log a warning. */
  AUTO,
  /** Require bubblewrap: building the sandbox fails if it is missing or does not work here. */
  BWRAP,
  /** Never isolate: commands run as plain child processes with the policy's checks only. */
  NONE
}
