// Helpers and names around the generated event types (src/generated/contracts.ts, from the
// server's events.schema.json).
import type { AppEvent, AppRunStarted, ChatBuilderEvent, Checkpoint, FileChange, RunStarted } from "./generated/contracts.js";

/** An ISO-8601 UTC timestamp. */
export type Timestamp = string;
export type ChangeKind = FileChange["kind"];
export type CheckpointType = Checkpoint["checkpoint_type"];
export type RunOutcome = NonNullable<Checkpoint["run_outcome"]>;

/** What every event carries. */
export type EventHeader = Pick<RunStarted, "app_id" | "run_id" | "seq" | "at">;

export type EventType = ChatBuilderEvent["type"];

/** An event of a type this client does not know (a newer server): kept, not dropped. */
export interface UnknownEvent extends EventHeader {
  type: string;
  [field: string]: unknown;
}

/** The known types at run time; the compiler checks the list is exactly EventType. */
export const EVENT_TYPES = [
  "run_started",
  "assistant_delta",
  "reasoning_delta",
  "tool_input_delta",
  "assistant_message",
  "tool_started",
  "tool_completed",
  "tool_failed",
  "file_changes",
  "checkpoint_created",
  "status",
  "run_completed",
  "run_failed",
  "run_cancelled",
] as const satisfies readonly EventType[];

// Fails to compile when EventType has a member EVENT_TYPES lacks.
type Missing = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
const exhaustive: [Missing] extends [never] ? true : Missing = true;
void exhaustive;

export const TERMINAL_EVENT_TYPES = ["run_completed", "run_failed", "run_cancelled"] as const satisfies readonly EventType[];

export function isKnownEvent(e: ChatBuilderEvent | UnknownEvent): e is ChatBuilderEvent {
  return (EVENT_TYPES as readonly string[]).includes(e.type);
}

/** Whether the event ends its run (a run emits exactly one). */
export function isTerminal(e: { type: string }): boolean {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type);
}

// ---- the app stream (GET /apps/{app_id}/events)

/** What every app event carries. */
export type AppEventHeader = Pick<AppRunStarted, "app_id" | "seq" | "at">;

export type AppEventType = AppEvent["type"];

/** An app event of a type this client does not know (a newer server): kept, not dropped. */
export interface UnknownAppEvent extends AppEventHeader {
  type: string;
  [field: string]: unknown;
}

/** The known app event types at run time; the compiler checks the list is exactly AppEventType. */
export const APP_EVENT_TYPES = [
  "run_started",
  "run_ended",
  "checkpoint_created",
  "draft_state",
  "draft_progress",
  "publish_started",
  "publish_progress",
  "publish_finished",
  "preview_error",
] as const satisfies readonly AppEventType[];

type MissingAppType = Exclude<AppEventType, (typeof APP_EVENT_TYPES)[number]>;
const exhaustiveApp: [MissingAppType] extends [never] ? true : MissingAppType = true;
void exhaustiveApp;

export function isKnownAppEvent(e: AppEvent | UnknownAppEvent): e is AppEvent {
  return (APP_EVENT_TYPES as readonly string[]).includes(e.type);
}
