import { isTerminal } from "./events.js";
import { readSse } from "./sse.js";
/** An error answer of the API: status and the server's {code, message}. */
export class ChatBuilderApiError extends Error {
    status;
    code;
    constructor(status, body) {
        super(`${body.code}: ${body.message}`);
        this.name = "ChatBuilderApiError";
        this.status = status;
        this.code = body.code;
    }
}
/** An event stream that broke and could not be resumed. */
export class ChatBuilderStreamError extends Error {
    lastEventId;
    constructor(message, lastEventId, cause) {
        super(message, cause === undefined ? undefined : { cause });
        this.name = "ChatBuilderStreamError";
        this.lastEventId = lastEventId;
    }
}
/** A client of ChatBuilder's HTTP API (the server's openapi.json), for Node 20+ and browsers. */
export class ChatBuilderClient {
    baseUrl;
    options;
    doFetch;
    constructor(options) {
        this.options = options;
        this.baseUrl = options.baseUrl.replace(/\/+$/, "");
        this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    }
    // ---------------------------------------------------------------- apps
    listApps() {
        return this.json("GET", "/apps");
    }
    createApp(request) {
        return this.json("POST", "/apps", request);
    }
    /** The templates a new app can start from (CreateAppRequest.template_id). */
    listTemplates() {
        return this.json("GET", "/templates");
    }
    // ---------------------------------------------------------------- runs and events
    /**
     * Sends a message, or a ChatRequest with attachments (selected elements, file references, preview
     * errors, images): starts a run (busy and bad input, bad attachments included, fail here) and
     * streams its events.
     */
    async chat(appId, message, options = {}) {
        const body = typeof message === "string" ? { message } : message;
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
    async runEvents(appId, runId, options = {}) {
        const response = await this.openEvents(appId, runId, options.lastEventId ?? 0, options.signal);
        return this.stream(appId, runId, response, options);
    }
    /** The app stream after options.lastEventId: from the log, then live until stopped. */
    async appEvents(appId, options = {}) {
        const open = (after) => this.openStream(`/apps/${encodeURIComponent(appId)}/events`, after, options.signal);
        // The first request fails here (unknown app, denied), not while iterating.
        const first = await open(options.lastEventId ?? 0);
        const state = { last: options.lastEventId ?? 0 };
        let used = false;
        const events = () => this.resume({
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
    listRuns(appId, limit) {
        return this.json("GET", this.app(appId, "/runs"), undefined, { limit });
    }
    cancel(appId) {
        return this.json("POST", this.app(appId, "/cancel"), {});
    }
    // ---------------------------------------------------------------- checkpoints and history
    listCheckpoints(appId, options = {}) {
        return this.json("GET", this.app(appId, "/checkpoints"), undefined, options);
    }
    getCheckpoint(appId, checkpointId) {
        return this.json("GET", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}`));
    }
    listFiles(appId, checkpointId) {
        return this.json("GET", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/files`));
    }
    /** One file of a checkpoint: its text, or binary: true (no content) when it is not UTF-8 text. */
    readFile(appId, checkpointId, path) {
        return this.json("GET", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/file`), undefined, { path });
    }
    undo(appId) {
        return this.json("POST", this.app(appId, "/undo"), {});
    }
    redo(appId) {
        return this.json("POST", this.app(appId, "/redo"), {});
    }
    restore(appId, checkpointId) {
        return this.json("POST", this.app(appId, "/restore"), { checkpoint_id: checkpointId });
    }
    revertFile(appId, checkpointId, path) {
        return this.json("POST", this.app(appId, "/revert-file"), { checkpoint_id: checkpointId, path });
    }
    /** Forks a checkpoint of {@code appId} into the new app {@code newAppId}. */
    fork(appId, checkpointId, newAppId) {
        return this.json("POST", this.app(appId, "/fork"), { checkpoint_id: checkpointId, new_app_id: newAppId });
    }
    /** The app's labelled checkpoints, newest first; only those with {@code label} (exact, or as a prefix) when given. */
    labelled(appId, options = {}) {
        return this.json("GET", this.app(appId, "/labels"), undefined, {
            label: options.label,
            prefix: options.prefix === undefined ? undefined : String(options.prefix),
        });
    }
    addLabel(appId, checkpointId, label) {
        return this.json("POST", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/labels`), { label });
    }
    removeLabel(appId, checkpointId, label) {
        return this.json("DELETE", this.app(appId, `/checkpoints/${encodeURIComponent(checkpointId)}/labels`), undefined, { label });
    }
    diff(appId, from, to) {
        return this.json("GET", this.app(appId, "/diff"), undefined, { from, to });
    }
    // ---------------------------------------------------------------- draft and publish
    draftStatus(appId) {
        return this.json("GET", this.app(appId, "/draft"));
    }
    startDraft(appId) {
        return this.json("POST", this.app(appId, "/draft"), {});
    }
    publish(appId, checkpointId) {
        return this.json("POST", this.app(appId, "/publish"), checkpointId === undefined ? {} : { checkpoint_id: checkpointId });
    }
    listPublishes(appId, limit) {
        return this.json("GET", this.app(appId, "/publishes"), undefined, { limit });
    }
    // ---------------------------------------------------------------- contracts
    /** The server's OpenAPI 3.1 document. */
    openApi() {
        return this.json("GET", "/openapi.json");
    }
    /** The JSON Schema of every event. */
    eventsSchema() {
        return this.json("GET", "/events.schema.json");
    }
    // ---------------------------------------------------------------- internals
    app(appId, rest) {
        return `/apps/${encodeURIComponent(appId)}/builder${rest}`;
    }
    async json(method, path, body, query) {
        const response = await this.send(method, path + queryString(query), body);
        return (await response.json());
    }
    async send(method, path, body, signal, extra = {}) {
        const headers = { Accept: "application/json", ...this.options.headers, ...extra };
        if (this.options.token !== undefined) {
            headers.Authorization = `Bearer ${this.options.token}`;
        }
        const init = { method, headers };
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
            let error;
            try {
                error = JSON.parse(text);
            }
            catch {
                error = { code: "http_" + response.status, message: text };
            }
            throw new ChatBuilderApiError(response.status, error);
        }
        return response;
    }
    openEvents(appId, runId, after, signal) {
        return this.openStream(this.app(appId, `/runs/${encodeURIComponent(runId)}/events`), after, signal);
    }
    /** Opens an event stream at `path`, after the event `after` (Last-Event-ID) when it is past the start. */
    openStream(path, after, signal) {
        const extra = { Accept: "text/event-stream" };
        if (after > 0) {
            extra["Last-Event-ID"] = String(after);
        }
        return this.send("GET", path, undefined, signal, extra);
    }
    stream(appId, runId, first, options) {
        const state = { last: options.lastEventId ?? 0 };
        let used = false;
        const events = () => this.resume({
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
    async *resume(stream) {
        const maxReconnects = this.options.maxReconnects ?? 5;
        const baseDelay = this.options.reconnectDelayMs ?? 250;
        const { state, signal } = stream;
        let response = stream.first;
        let failures = 0;
        for (;;) {
            let cause;
            try {
                if (response === undefined) {
                    response = await stream.open(state.last);
                }
                const body = response.body;
                if (body === null) {
                    throw new ChatBuilderStreamError(`${stream.what} has no body`, state.last);
                }
                for await (const frame of readSse(body, signal)) {
                    const event = JSON.parse(frame.data);
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
            }
            catch (e) {
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
function queryString(query) {
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
};
