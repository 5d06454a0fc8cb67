// The events a run streams (DESIGN 3.1), as the server's events.schema.json describes them.
// EVENT_TYPES is checked against that schema by test/contracts.test.ts.

/** An ISO-8601 UTC timestamp. */
export type Timestamp = string;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  /** Part of input_tokens read from the prompt cache; absent when zero. */
  cache_read_tokens?: number;
  /** Part of input_tokens written to the prompt cache; absent when zero. */
  cache_write_tokens?: number;
}

export interface ChangeStats {
  files_added: number;
  files_modified: number;
  files_deleted: number;
  files_renamed: number;
  lines_added: number;
  lines_removed: number;
  bytes_written: number;
}

export type ChangeKind = "added" | "modified" | "deleted" | "renamed";

export interface FileChange {
  path: string;
  kind: ChangeKind;
  /** Set for renamed files. */
  previous_path?: string;
  bytes_before: number;
  bytes_after: number;
  lines_added: number;
  lines_removed: number;
  binary: boolean;
}

export type CheckpointType = "initial" | "agent_run" | "undo" | "redo" | "restore" | "revert_file" | "manual";
export type RunOutcome = "completed" | "failed" | "cancelled";

export interface Checkpoint {
  id: string;
  app_id: string;
  parent_id?: string;
  result_revision_id: string;
  checkpoint_type: CheckpointType;
  checkpoint_label: string;
  /** Tool name to how many times it ran. */
  tool_summary: Record<string, number>;
  run_id?: string;
  run_outcome?: RunOutcome;
  source_checkpoint_id?: string;
  conversation_length: number;
  stats: ChangeStats;
  created_at: Timestamp;
}

/** What every event carries. */
export interface EventHeader {
  app_id: string;
  run_id: string;
  /** Gapless from 1 within a run; the SSE id. */
  seq: number;
  at: Timestamp;
}

export interface RunStarted extends EventHeader {
  type: "run_started";
  message: string;
  model: string;
}

export interface AssistantDelta extends EventHeader {
  type: "assistant_delta";
  step: number;
  text: string;
}

/** The model's reasoning; never part of the answer. */
export interface ReasoningDelta extends EventHeader {
  type: "reasoning_delta";
  step: number;
  text: string;
}

/** A fragment of a tool call's arguments as the model writes them; offset counts UTF-16 code units. */
export interface ToolInputDelta extends EventHeader {
  type: "tool_input_delta";
  step: number;
  call_id: string;
  tool_name: string;
  offset: number;
  fragment: string;
}

export interface AssistantMessage extends EventHeader {
  type: "assistant_message";
  step: number;
  text: string;
  usage: Usage;
}

export interface ToolStarted extends EventHeader {
  type: "tool_started";
  call_id: string;
  tool_name: string;
  /** The parsed arguments, or a string with the raw text when they did not parse. */
  arguments: unknown;
}

export interface ToolCompleted extends EventHeader {
  type: "tool_completed";
  call_id: string;
  tool_name: string;
  summary: string;
  duration_ms: number;
}

export interface ToolFailed extends EventHeader {
  type: "tool_failed";
  call_id: string;
  tool_name: string;
  error: string;
  /** An ErrorCode wire name. */
  error_code: string;
  duration_ms: number;
}

export interface FileChanges extends EventHeader {
  type: "file_changes";
  changes: FileChange[];
}

export interface CheckpointCreated extends EventHeader {
  type: "checkpoint_created";
  checkpoint: Checkpoint;
}

export interface Status extends EventHeader {
  type: "status";
  message: string;
}

export interface RunCompleted extends EventHeader {
  type: "run_completed";
  steps: number;
  usage: Usage;
  tool_summary: Record<string, number>;
}

export interface RunFailed extends EventHeader {
  type: "run_failed";
  error: string;
  error_code: string;
}

export interface RunCancelled extends EventHeader {
  type: "run_cancelled";
  reason: string;
}

/** Every event type this client knows. */
export type ChatBuilderEvent =
  | RunStarted
  | AssistantDelta
  | ReasoningDelta
  | ToolInputDelta
  | AssistantMessage
  | ToolStarted
  | ToolCompleted
  | ToolFailed
  | FileChanges
  | CheckpointCreated
  | Status
  | RunCompleted
  | RunFailed
  | RunCancelled;

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

export const TERMINAL_EVENT_TYPES = ["run_completed", "run_failed", "run_cancelled"] as const;

export function isKnownEvent(e: ChatBuilderEvent | UnknownEvent): e is ChatBuilderEvent {
  return (EVENT_TYPES as readonly string[]).includes(e.type);
}

/** Whether the event ends its run (a run emits exactly one). */
export function isTerminal(e: { type: string }): boolean {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(e.type);
}
