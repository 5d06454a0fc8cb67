// Request and response bodies of the HTTP API, as the server's openapi.json describes them
// (components/schemas). test/contracts.test.ts checks every operation there has a client method.
import type { ChangeKind, Checkpoint, Timestamp } from "./events.js";

/** Every error answer: status is the HTTP status of code. */
export interface ErrorBody {
  code: string;
  message: string;
}

export interface AppSummary {
  app_id: string;
  head?: Checkpoint;
}

export interface AppList {
  apps: AppSummary[];
}

export interface CreateAppRequest {
  app_id: string;
  template_id?: string;
}

export interface CreateAppResponse {
  app_id: string;
  template_id: string;
  checkpoint: Checkpoint;
}

export interface ChatRequest {
  message: string;
}

export interface RunList {
  run_ids: string[];
  active_run_id?: string;
}

export interface CancelResponse {
  cancelled: boolean;
  run_id?: string;
}

export interface CheckpointList {
  checkpoints: Checkpoint[];
  head_id?: string;
  can_undo: boolean;
  can_redo: boolean;
}

export interface FileEntry {
  path: string;
  size: number;
}

export interface FileList {
  checkpoint_id: string;
  files: FileEntry[];
}

export interface HistoryResponse {
  checkpoint: Checkpoint;
  can_undo: boolean;
  can_redo: boolean;
}

export interface RestoreRequest {
  checkpoint_id: string;
}

export interface RevertFileRequest {
  checkpoint_id: string;
  path: string;
}

export interface FileDiff {
  path: string;
  kind: ChangeKind;
  previous_path?: string;
  bytes_before: number;
  bytes_after: number;
  lines_added: number;
  lines_removed: number;
  binary: boolean;
  unified_diff?: string;
}

export interface Diff {
  from: Checkpoint;
  to: Checkpoint;
  files: FileDiff[];
}

export type DraftState = "stopped" | "installing" | "starting" | "running" | "restarting" | "failed";

export interface DraftStatus {
  app_id: string;
  state: DraftState;
  restarts: number;
  since: Timestamp;
  preview_url?: string;
  error?: string;
  log_tail: string[];
}

export interface PublishRequest {
  checkpoint_id?: string;
}

export interface PublishResult {
  publish_id: string;
  app_id: string;
  checkpoint_id: string;
  revision_id: string;
  success: boolean;
  manifest_hash: string;
  /** How many files were published. */
  files: number;
  build_log: string;
  started_at: Timestamp;
  duration_ms: number;
  error?: string;
  output_location?: string;
}

export interface PublishList {
  publishes: PublishResult[];
}
