import type {
  AppList,
  CancelResponse,
  ChatRequest,
  CheckpointList,
  CreateAppRequest,
  CreateAppResponse,
  Diff,
  DraftStatus,
  ErrorBody,
  FileContent,
  FileList,
  ForkResponse,
  HistoryResponse,
  LabelledList,
  Labels,
  PublishList,
  PublishResult,
  RunList,
  TemplateList,
  ChatBuilderEvent,
  Checkpoint,
  AppEvent,
} from "./generated/contracts.js";
import type { UnknownAppEvent, UnknownEvent } from "./events.js";
import { isTerminal } from "./events.js";
import { readSse } from "./sse.js";

export interface ClientOptions {
  /** The API's base URL including its base path, e.g. "http://localhost:8080/admin". */
  baseUrl: string;
  /** The access token, when the server asks for one (sent as Authorization: Bearer). */
  token?: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** How often a broken event stream is resumed before giving up (default 5). */
  maxReconnects?: number;
  /** Wait before a resume, doubled each time in a row (default 250 ms). */
  reconnectDelayMs?: number;
}

/** An error answer of the API: status and the server's {code, message}. */
export class ChatBuilderApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, body: ErrorBody) {
    super(`${body.code}: ${body.message}`);
    this.name = "ChatBuilderApiError";
    this.status = status;
    this.code = body.code;
  }
}

/** An event stream that broke and could not be resumed. */
export class ChatBuilderStreamError extends Error {
  readonly lastEventId: number;

  constructor(message: string, lastEventId: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ChatBuilderStreamError";
    this.lastEventId = lastEventId;
  }
}

export interface StreamOptions {
  /** Only events with seq above this (what a reconnecting UI last saw). */
  lastEventId?: number;
  signal?: AbortSignal;
}

/**
 * A run's events as they come, each once and in seq order. When the connection breaks before the
 * run's terminal event, the client reconnects with Last-Event-ID and goes on where it stopped.
 */
export interface RunStream extends AsyncIterable<ChatBuilderEvent | UnknownEvent> {
  readonly appId: string;
  readonly runId: string;
  /** The seq of the last event delivered (0 before any). */
  readonly lastEventId: number;
}

/**
 * An app's stream (every run start and end, checkpoint, draft and publish change, preview error),
 * each event once and in seq order. It does not end by itself: stop it with the signal (or by
 * leaving the loop). When the connection breaks, the client reconnects with Last-Event-ID.
 */
export interface AppStream extends AsyncIterable<AppEvent | UnknownAppEvent> {
  readonly appId: string;
  /** The seq of the last event delivered (0 before any). */
  readonly lastEventId: number;
}

type Query = Record<string, string | number | undefined>;

/** A client of ChatBuilder's HTTP API (the server's openapi.json), for Node 20+ and browsers. */
export class ChatBuilderClient {
  private readonly baseUrl: string;
  private readonly options: ClientOptions;
  private readonly doFetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  // ---------------------------------------------------------------- apps

  listApps(): Promise<AppList> {
    return this.json("GET", "/apps");
  }

  createApp(request: CreateAppRequest): Promise<CreateAppResponse> {
    return this.json("POST", "/apps", request);
  }

  /** The templates a new app can start from (CreateAppRequest.template_id). */
  listTemplates(): Promise<TemplateList> {
    return this.json("GET", "/templates");
  }

  // ---------------------------------------------------------------- runs and events

  /**
   * Sends a message, or a ChatRequest with attachments (selected elements, file references, preview
   * errors, images): starts a run (busy and bad input, bad attachments included, fail here) and
   * streams its events.
   */
  async chat(appId: string, message: string | ChatRequest, options: StreamOptions = {}): Promise<RunStream> {
    const body: ChatRequest = typeof message === "string" ? { message } : message;
    const response = await this.send("POST", this.app(appId, "/chat/stream"), body, options.signal, {
      Accept: "text/event-stream",
    });
    const runId = response.headers.get("X-Run-Id");
    if (runId === null) {
      await response.body?.cancel();
      throw new ChatBuilderStreamError("the server sent no X-Run-Id", 0);
    }
    return this.stream(appId, runId, response, options);
  }

  /** A run's events after options.lastEventId: replayed from the log, then live while it runs. */
  async runEvents(appId: string, runId: string, options: StreamOptions = {}): Promise<RunStream> {
    const response = await this.openEvents(appId, runId, options.lastEventId ?? 0, options.signal);
    return this.stream(appId, runId, response, options);
  }

  /** The app stream after options.lastEventId: from the log, then live until stopped. */
  async appEvents(appId: string, options: StreamOptions = {}): Promise<AppStream> {
    const open = (after: number) => this.openStream(`/apps/${encodeURIComponent(appId)}/events`, after, options.signal);
    // The first request fails here (unknown app, denied), not while iterating.
    const first = await open(options.lastEventId ?? 0);
    const state = { last: options.lastEventId ?? 0 };
    let used = false;
    const events = () => this.resume<AppEvent | UnknownAppEvent>({
      what: `the app stream of ${appId}`, first, open, state, signal: options.signal, done: () => false,
    });
    return {
      appId,
      get lastEventId() {
        return state.last;
      },
      [Symbol.asyncIterator]() {
        if (used) {
          throw new Error("an AppStream can be iterated once; use appEvents to read it again");
        }
        used = true;
        return events();
      },
    };
  }

  listRuns(appId: string, limit?: number): Promise<RunList> {
    return this.json("GET", this.app(appId, "/runs"), undefined, { limit });
  }

  cancel(appId: string): Promise<CancelResponse> {
    return this.json("POST", this.app(appId, "/cancel"), {});
  }

  // ---------------------------------------------------------------- checkpoints and history

  listCheckpoints(appId: string, options: { limit?: number; before?: string } = {}): Promise<CheckpointList> {
    return this.json("GET", this.app(appId, "/checkpoints"), undefined, options);
  }

  getCheckpoint(appId: string, checkpointId: string): Promise<Checkpoint> {
    return this.json("GET", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}`));
  }

  listFiles(appId: string, checkpointId: string): Promise<FileList> {
    return this.json("GET", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/files`));
  }

  /** One file of a checkpoint: its text, or binary: true (no content) when it is not UTF-8 text. */
  readFile(appId: string, checkpointId: string, path: string): Promise<FileContent> {
    return this.json("GET", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/file`), undefined, { path });
  }

  undo(appId: string): Promise<HistoryResponse> {
    return this.json("POST", this.app(appId, "/undo"), {});
  }

  redo(appId: string): Promise<HistoryResponse> {
    return this.json("POST", this.app(appId, "/redo"), {});
  }

  restore(appId: string, checkpointId: string): Promise<HistoryResponse> {
    return this.json("POST", this.app(appId, "/restore"), { checkpoint_id: checkpointId });
  }

  revertFile(appId: string, checkpointId: string, path: string): Promise<HistoryResponse> {
    return this.json("POST", this.app(appId, "/revert-file"), { checkpoint_id: checkpointId, path });
  }

  /** Forks a checkpoint of {@code appId} into the new app {@code newAppId}. */
  fork(appId: string, checkpointId: string, newAppId: string): Promise<ForkResponse> {
    return this.json("POST", this.app(appId, "/fork"), { checkpoint_id: checkpointId, new_app_id: newAppId });
  }

  /** The app's labelled checkpoints, newest first; only those with {@code label} (exact, or as a prefix) when given. */
  labelled(appId: string, options: { label?: string; prefix?: boolean } = {}): Promise<LabelledList> {
    return this.json("GET", this.app(appId, "/labels"), undefined, {
      label: options.label,
      prefix: options.prefix === undefined ? undefined : String(options.prefix),
    });
  }

  addLabel(appId: string, checkpointId: string, label: string): Promise<Labels> {
    return this.json("POST", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/labels`), { label });
  }

  removeLabel(appId: string, checkpointId: string, label: string): Promise<Labels> {
    return this.json("DELETE", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/labels`), undefined, { label });
  }

  diff(appId: string, from: string, to: string): Promise<Diff> {
    return this.json("GET", this.app(appId, "/diff"), undefined, { from, to });
  }

  // ---------------------------------------------------------------- draft and publish

  draftStatus(appId: string): Promise<DraftStatus> {
    return this.json("GET", this.app(appId, "/draft"));
  }

  startDraft(appId: string): Promise<DraftStatus> {
    return this.json("POST", this.app(appId, "/draft"), {});
  }

  publish(appId: string, checkpointId?: string): Promise<PublishResult> {
    return this.json("POST", this.app(appId, "/publish"), checkpointId === undefined ? {} : { checkpoint_id: checkpointId });
  }

  listPublishes(appId: string, limit?: number): Promise<PublishList> {
    return this.json("GET", this.app(appId, "/publishes"), undefined, { limit });
  }

  // ---------------------------------------------------------------- contracts

  /** The server's OpenAPI 3.1 document. */
  openApi(): Promise<Record<string, unknown>> {
    return this.json("GET", "/openapi.json");
  }

  /** The JSON Schema of every event. */
  eventsSchema(): Promise<Record<string, unknown>> {
    return this.json("GET", "/events.schema.json");
  }

  // ---------------------------------------------------------------- internals

  private app(appId: string, rest: string): string {
    return `/apps/${encodeURIComponent(appId)}/builder${rest}`;
  }

  private async json<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const response = await this.send(method, path + queryString(query), body);
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal,
      extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...this.options.headers, ...extra };
    if (this.options.token !== undefined) {
      headers.Authorization = `Bearer ${this.options.token}`;
    }
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (signal !== undefined) {
      init.signal = signal;
    }
    const response = await this.doFetch(this.baseUrl + path, init);
    if (!response.ok) {
      const text = await response.text();
      let error: ErrorBody;
      try {
        error = JSON.parse(text) as ErrorBody;
      } catch {
        error = { code: "http_" + response.status, message: text };
      }
      throw new ChatBuilderApiError(response.status, error);
    }
    return response;
  }

  private openEvents(appId: string, runId: string, after: number, signal?: AbortSignal): Promise<Response> {
    return this.openStream(this.app(appId, `/runs/${encodeURIComponent(runId)}/events`), after, signal);
  }

  /** Opens an event stream at `path`, after the event `after` (Last-Event-ID) when it is past the start. */
  private openStream(path: string, after: number, signal?: AbortSignal): Promise<Response> {
    const extra: Record<string, string> = { Accept: "text/event-stream" };
    if (after > 0) {
      extra["Last-Event-ID"] = String(after);
    }
    return this.send("GET", path, undefined, signal, extra);
  }

  private stream(appId: string, runId: string, first: Response, options: StreamOptions): RunStream {
    const state = { last: options.lastEventId ?? 0 };
    let used = false;
    const events = () => this.resume<ChatBuilderEvent | UnknownEvent>({
      what: `the event stream of ${runId}`, first, state, signal: options.signal, done: isTerminal,
      open: (after) => this.openEvents(appId, runId, after, options.signal),
    });
    return {
      appId,
      runId,
      get lastEventId() {
        return state.last;
      },
      [Symbol.asyncIterator]() {
        if (used) {
          throw new Error("a RunStream can be iterated once; use runEvents to read it again");
        }
        used = true;
        return events();
      },
    };
  }

  /**
   * The one resume loop of the client's streams: yields the events of `first`, then, whenever the
   * stream ends or breaks before `done` says so (a network fault, a proxy, a server that dropped a
   * slow client or restarted), reopens it after the last event delivered (Last-Event-ID) and skips
   * what was already delivered. Gives up after `maxReconnects` breaks in a row, backing off
   * exponentially from `reconnectDelayMs`; API errors (denied, unknown) and aborts are thrown as is.
   */
  private async *resume<E extends { seq: number }>(stream: {
    what: string;
    first: Response;
    open: (after: number) => Promise<Response>;
    state: { last: number };
    signal: AbortSignal | undefined;
    done: (event: E) => boolean;
  }): AsyncGenerator<E> {
    const maxReconnects = this.options.maxReconnects ?? 5;
    const baseDelay = this.options.reconnectDelayMs ?? 250;
    const { state, signal } = stream;
    let response: Response | undefined = stream.first;
    let failures = 0;
    for (;;) {
      let cause: unknown;
      try {
        if (response === undefined) {
          response = await stream.open(state.last);
        }
        const body = response.body;
        if (body === null) {
          throw new ChatBuilderStreamError(`${stream.what} has no body`, state.last);
        }
        for await (const frame of readSse(body, signal)) {
          const event = JSON.parse(frame.data) as E;
          if (event.seq <= state.last) {
            continue; // already delivered before a resume
          }
          state.last = event.seq;
          failures = 0;
          yield event;
          if (stream.done(event)) {
            return;
          }
        }
      } catch (e) {
        if (signal?.aborted || e instanceof ChatBuilderApiError) {
          throw e;
        }
        cause = e;
      }
      if (signal?.aborted) {
        return;
      }
      response = undefined;
      if (++failures > maxReconnects) {
        throw new ChatBuilderStreamError(`${stream.what} broke ${failures} times in a row`, state.last, cause);
      }
      await new Promise((resolve) => setTimeout(resolve, baseDelay * 2 ** (failures - 1)));
    }
  }
}

function queryString(query?: Query): string {
  if (query === undefined) {
    return "";
  }
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) {
      params.set(k, String(v));
    }
  }
  const s = params.toString();
  return s === "" ? "" : "?" + s;
}

/** openapi.json operationId to the client method that calls it. */
export const OPERATIONS = {
  listApps: "listApps",
  createApp: "createApp",
  listTemplates: "listTemplates",
  chat: "chat",
  runEvents: "runEvents",
  appEvents: "appEvents",
  listRuns: "listRuns",
  cancel: "cancel",
  listCheckpoints: "listCheckpoints",
  getCheckpoint: "getCheckpoint",
  listFiles: "listFiles",
  readFile: "readFile",
  undo: "undo",
  redo: "redo",
  restore: "restore",
  revertFile: "revertFile",
  fork: "fork",
  labelled: "labelled",
  addLabel: "addLabel",
  removeLabel: "removeLabel",
  diff: "diff",
  draftStatus: "draftStatus",
  startDraft: "startDraft",
  publish: "publish",
  listPublishes: "listPublishes",
  openApi: "openApi",
  eventsSchema: "eventsSchema",
} as const satisfies Record<string, keyof ChatBuilderClient>;
