import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatBuilderApiError, isKnownAppEvent, isKnownEvent, isTerminal, type ChatBuilderEvent, type UnknownEvent } from "../src/index.js";
import { appId, client } from "./server.js";

async function collect(stream: AsyncIterable<ChatBuilderEvent | UnknownEvent>): Promise<(ChatBuilderEvent | UnknownEvent)[]> {
  const out: (ChatBuilderEvent | UnknownEvent)[] = [];
  for await (const e of stream) {
    out.push(e);
  }
  return out;
}

function assertGapless(events: { seq: number }[], from = 1): void {
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + from));
}

test("chat streams a whole run, typed, from run_started to one terminal event", async () => {
  const c = client();
  const app = appId("chat");
  const created = await c.createApp({ app_id: app, template_id: "plain" });
  assert.equal(created.checkpoint.checkpoint_type, "initial");

  const run = await c.chat(app, "write n.txt");
  assert.match(run.runId, /^run_/);
  const events = await collect(run);
  assertGapless(events);
  assert.equal(events[0]?.type, "run_started");
  assert.equal(events.at(-1)?.type, "run_completed");
  assert.equal(events.filter(isTerminal).length, 1);
  assert.equal(run.lastEventId, events.length);
  const changes = events.find((e): e is Extract<ChatBuilderEvent, { type: "file_changes" }> => e.type === "file_changes");
  assert.ok(changes, "a file_changes event");
  assert.equal(changes.changes[0]?.path, "n.txt");
  assert.equal(changes.changes[0]?.kind, "added");
  const checkpoint = events.filter(isKnownEvent).find((e) => e.type === "checkpoint_created");
  assert.ok(checkpoint && checkpoint.type === "checkpoint_created");
  assert.equal(checkpoint.checkpoint.run_outcome, "completed");

  const runs = await c.listRuns(app);
  assert.equal(runs.run_ids[0], run.runId);
});

test("runEvents with Last-Event-ID replays exactly the rest", async () => {
  const c = client();
  const app = appId("replay");
  await c.createApp({ app_id: app });
  const run = await c.chat(app, "write n.txt");
  const all = await collect(run);
  for (const k of [0, 1, Math.floor(all.length / 2), all.length - 1]) {
    const rest = await collect(await c.runEvents(app, run.runId, { lastEventId: k }));
    assert.deepEqual(rest, all.slice(k), `after ${k}`);
  }
});

/**
 * A fetch that breaks the first stream whose URL `cuts` picks after `frames` whole frames, as a
 * dropped connection would, and records every request with its Last-Event-ID.
 */
function cuttingFetch(cuts: (url: string) => boolean, frames: number) {
  const requests: { url: string; lastEventId: string | null }[] = [];
  let cut = false;
  let passed = "";
  const fetchCutting: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    requests.push({ url: String(input), lastEventId: headers.get("Last-Event-ID") });
    const response = await fetch(input, init);
    if (cut || !cuts(String(input)) || response.body === null) {
      return response;
    }
    cut = true;
    const reader = response.body.getReader();
    let text = "";
    const body = new ReadableStream<Uint8Array>({
      // Reads until the frames are in, then passes exactly those and breaks the stream. (A pull
      // that enqueued nothing is not called again, so it must not return before that.)
      async pull(controller) {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          text += new TextDecoder().decode(value);
          const parts = text.split("\n\n");
          if (parts.length > frames) {
            passed = parts.slice(0, frames).join("\n\n") + "\n\n";
            controller.enqueue(new TextEncoder().encode(passed));
            await reader.cancel();
            controller.error(new Error("connection reset (test)"));
            return;
          }
        }
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return {
    fetch: fetchCutting,
    requests,
    /** The ids of the events that got through before the cut. */
    delivered: () => [...passed.matchAll(/^id:\s*(\d+)$/gm)].map((m) => Number(m[1])),
  };
}

test("a stream cut mid-run resumes with Last-Event-ID and delivers every event once", async () => {
  // Breaks the first chat stream after three whole frames.
  const cutting = cuttingFetch((url) => url.endsWith("/chat/stream"), 3);
  const { requests } = cutting;
  const c = client({ fetch: cutting.fetch });
  const app = appId("resume");
  await c.createApp({ app_id: app });
  const run = await c.chat(app, "write n.txt");
  const events = await collect(run);
  assertGapless(events);
  assert.equal(events.at(-1)?.type, "run_completed");
  const resumed = requests.filter((r) => r.url.includes(`/runs/${run.runId}/events`));
  assert.ok(resumed.length >= 1, "the client reconnected");
  // It resumed after the last event that got through before the cut.
  const delivered = cutting.delivered();
  assert.ok(delivered.length >= 1, "some events got through before the cut");
  assert.equal(resumed[0]?.lastEventId, String(Math.max(...delivered)));
  // The same events as a fresh replay of the whole run.
  assert.deepEqual(events, await collect(await c.runEvents(app, run.runId)));
});

test("history: checkpoints, files, diff, undo, redo, restore, revert-file", async () => {
  const c = client();
  const app = appId("history");
  const created = await c.createApp({ app_id: app, template_id: "plain" });
  await collect(await c.chat(app, "write n.txt"));
  const list = await c.listCheckpoints(app, { limit: 10 });
  assert.equal(list.checkpoints.length, 2);
  assert.equal(list.can_undo, true);
  const head = list.head_id;
  assert.ok(head);
  const initial = created.checkpoint.id;

  assert.equal((await c.getCheckpoint(app, head)).checkpoint_type, "agent_run");
  assert.deepEqual((await c.listFiles(app, head)).files.map((f) => f.path).sort(), ["index.html", "n.txt"]);
  const page = await c.readFile(app, initial, "./index.html");
  assert.deepEqual(page, { checkpoint_id: initial, path: "index.html", size: 27, binary: false,
    content: "<!doctype html><h1>hi</h1>\n" });
  await assert.rejects(c.readFile(app, initial, "../etc/passwd"), (e: unknown) =>
    e instanceof ChatBuilderApiError && e.status === 400 && e.code === "path_refused");
  await assert.rejects(c.readFile(app, initial, "n.txt"), (e: unknown) =>
    e instanceof ChatBuilderApiError && e.status === 404 && e.code === "not_found");
  assert.deepEqual((await c.listTemplates()).templates, [{ id: "plain", description: "one HTML file" }]);
  const diff = await c.diff(app, initial, head);
  assert.equal(diff.files[0]?.path, "n.txt");
  assert.match(diff.files[0]?.unified_diff ?? "", /\+1/);

  const undo = await c.undo(app);
  assert.equal(undo.checkpoint.checkpoint_type, "undo");
  assert.equal(undo.can_redo, true);
  assert.deepEqual((await c.listFiles(app, undo.checkpoint.id)).files.map((f) => f.path), ["index.html"]);
  assert.equal((await c.redo(app)).checkpoint.checkpoint_type, "redo");
  assert.equal((await c.restore(app, initial)).checkpoint.checkpoint_type, "restore");
  const reverted = await c.revertFile(app, head, "n.txt");
  assert.equal(reverted.checkpoint.checkpoint_type, "revert_file");
  assert.deepEqual((await c.listFiles(app, reverted.checkpoint.id)).files.map((f) => f.path).sort(), ["index.html", "n.txt"]);
  assert.equal((await c.cancel(app)).cancelled, false);
  assert.ok((await c.listApps()).apps.some((a) => a.app_id === app && a.head?.id === reverted.checkpoint.id));
});

test("fork, labels and bookmarks", async () => {
  const c = client();
  const app = appId("labels");
  const created = await c.createApp({ app_id: app, template_id: "plain" });
  await collect(await c.chat(app, "write n.txt"));
  const head = (await c.listCheckpoints(app, { limit: 1 })).head_id;
  assert.ok(head);
  assert.deepEqual((await c.addLabel(app, head, "release/1.0")).labels, ["release/1.0"]);
  assert.deepEqual((await c.addLabel(app, created.checkpoint.id, "bookmark")).labels, ["bookmark"]);
  const found = await c.labelled(app, { label: "release/", prefix: true });
  assert.deepEqual(found.checkpoints.map((e) => e.checkpoint.id), [head]);
  assert.deepEqual((await c.labelled(app)).checkpoints.map((e) => e.bookmarked), [false, true]);
  assert.deepEqual((await c.removeLabel(app, head, "release/1.0")).labels, []);
  const fork = appId("fork");
  const forked = await c.fork(app, head, fork);
  assert.equal(forked.checkpoint.checkpoint_type, "fork");
  assert.equal(forked.source_app_id, app);
  assert.deepEqual((await c.listFiles(fork, forked.checkpoint.id)).files.map((f) => f.path).sort(), ["index.html", "n.txt"]);
  await assert.rejects(c.fork(app, head, fork), (e: unknown) => e instanceof ChatBuilderApiError && e.status === 409);
});

test("chat takes attachments, and the server refuses bad ones before a run starts", async () => {
  const c = client();
  const app = appId("attach");
  await c.createApp({ app_id: app, template_id: "plain" });
  // a real 1x1 PNG
  const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
  const run = await c.chat(app, {
    message: "make the title bigger",
    attachments: [
      { type: "element", file: "index.html", line: 1, column: 16, tag: "h1", text: "hi" },
      { type: "file", path: "index.html", start_line: 1, end_line: 1 },
      { type: "diagnostic", kind: "console_error", message: "boom", file: "index.html", line: 1 },
      { type: "image", media_type: "image/png", name: "mockup.png", data: png },
    ],
  });
  const events = await collect(run);
  assert.equal(events.at(-1)?.type, "run_completed");

  await assert.rejects(c.chat(app, { message: "m", attachments: [{ type: "file", path: "../../etc/passwd" }] }),
    (e: unknown) => e instanceof ChatBuilderApiError && e.status === 400 && e.code === "path_refused");
  await assert.rejects(c.chat(app, { message: "m", attachments: [{ type: "image", media_type: "image/jpeg", data: png }] }),
    (e: unknown) => e instanceof ChatBuilderApiError && e.status === 400 && e.code === "invalid_argument"
      && e.message.includes("do not match media_type image/jpeg"));
  const unknown = { type: "video", data: "x" } as unknown as { type: "file"; path: string };
  await assert.rejects(c.chat(app, { message: "m", attachments: [unknown] }),
    (e: unknown) => e instanceof ChatBuilderApiError && e.status === 400 && e.message.includes("unknown attachment type 'video'"));
  assert.deepEqual((await c.listRuns(app)).run_ids, [run.runId]);
});

test("errors carry the server's status and code", async () => {
  const c = client();
  const app = appId("errors");
  await c.createApp({ app_id: app });
  await assert.rejects(c.undo(app), (e: unknown) => e instanceof ChatBuilderApiError && e.status === 409 && e.code === "nothing_to_do");
  await assert.rejects(c.listCheckpoints(appId("missing")), (e: unknown) => e instanceof ChatBuilderApiError
    && e.status === 404 && e.code === "not_found");
  await assert.rejects(c.restore(app, ""), (e: unknown) => e instanceof ChatBuilderApiError && e.status === 400
    && e.code === "invalid_argument");
  await assert.rejects(c.runEvents(app, "run_none"), (e: unknown) => e instanceof ChatBuilderApiError && e.status === 404);
  await assert.rejects(c.publish(app), (e: unknown) => e instanceof ChatBuilderApiError && e.status === 501
    && e.code === "not_configured");
});

test("a cut app stream resumes with Last-Event-ID and delivers every event once", async () => {
  const plain = client();
  const app = appId("appcut");
  await plain.createApp({ app_id: app, template_id: "plain" });
  await collect(await plain.chat(app, "write n.txt")); // events 1-4 in the app's log
  // Cut after three frames: the stream's opening comment, then events 1 and 2.
  const cutting = cuttingFetch((url) => url.endsWith(`/apps/${app}/events`), 3);
  const c = client({ fetch: cutting.fetch });
  const abort = new AbortController();
  const seqs: number[] = [];
  try {
    for await (const e of await c.appEvents(app, { signal: abort.signal })) {
      seqs.push(e.seq);
      if (e.seq === 4) {
        await plain.undo(app); // event 5, live after the resume
      }
      if (e.seq === 5) {
        break;
      }
    }
  } finally {
    abort.abort();
  }
  assertGapless(seqs.map((seq) => ({ seq })));
  assert.deepEqual(cutting.delivered(), [1, 2]);
  const streams = cutting.requests.filter((r) => r.url.endsWith(`/apps/${app}/events`));
  assert.deepEqual(streams.map((r) => r.lastEventId), [null, "2"]);
});

test("the app stream replays the app's history and delivers an undo live", async () => {
  const c = client();
  const app = appId("appstream");
  await c.createApp({ app_id: app, template_id: "plain" });
  await collect(await c.chat(app, "write n.txt"));
  const abort = new AbortController();
  const stream = await c.appEvents(app, { signal: abort.signal });
  const seen: string[] = [];
  const seqs: number[] = [];
  let undone = false;
  try {
    for await (const e of stream) {
      seqs.push(e.seq);
      seen.push(isKnownAppEvent(e) && e.type === "checkpoint_created" ? `checkpoint_created:${e.checkpoint.checkpoint_type}` : e.type);
      if (e.type === "run_ended" && !undone) {
        undone = true;
        await c.undo(app);
      }
      if (seen.at(-1) === "checkpoint_created:undo") {
        break;
      }
    }
  } finally {
    abort.abort();
  }
  assert.deepEqual(seen, ["checkpoint_created:initial", "run_started", "checkpoint_created:agent_run", "run_ended",
    "checkpoint_created:undo"]);
  assertGapless(seqs.map((seq) => ({ seq })));
  const rest = await c.appEvents(app, { lastEventId: 4, signal: AbortSignal.timeout(5000) });
  for await (const e of rest) {
    assert.equal(e.seq, 5);
    break;
  }
});
