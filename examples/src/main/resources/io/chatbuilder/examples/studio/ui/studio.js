// @ts-check
// The studio's agent panel: an ES module the browser loads as it is (no bundler). It talks to the
// API through the TypeScript client of clients/typescript (its compiled module, served at
// /ui/client/, named by the import map in index.html), and is type-checked with tsc against the
// client's source and generated contracts (StudioUiContractsTest): an event field or endpoint the
// contracts do not have fails the build.
import { ChatBuilderApiError, ChatBuilderClient } from '@chatbuilder/client';
import { appendTokens, languageOf, renderCode, tokenLines } from './highlight.js';

/**
 * @typedef {import('@chatbuilder/client').ChatBuilderEvent} ChatBuilderEvent
 * @typedef {import('@chatbuilder/client').UnknownEvent} UnknownEvent
 * @typedef {import('@chatbuilder/client').AppEvent} AppEvent
 * @typedef {import('@chatbuilder/client').UnknownAppEvent} UnknownAppEvent
 * @typedef {import('@chatbuilder/client').RunStream} RunStream
 * @typedef {import('@chatbuilder/client').Checkpoint} Checkpoint
 * @typedef {import('@chatbuilder/client').ChangeStats} ChangeStats
 * @typedef {import('@chatbuilder/client').Usage} Usage
 * @typedef {import('@chatbuilder/client').FileEntry} FileEntry
 * @typedef {import('@chatbuilder/client').FileDiff} FileDiff
 * @typedef {import('@chatbuilder/client').HistoryResponse} HistoryResponse
 * @typedef {import('@chatbuilder/client').Attachment} Attachment
 * @typedef {import('@chatbuilder/client').ChatRequest} ChatRequest
 * @typedef {import('@chatbuilder/client').AppPreviewError} AppPreviewError
 * @typedef {import('@chatbuilder/client').DiagnosticAttachment} DiagnosticAttachment
 * @typedef {import('@chatbuilder/client').ElementAttachment} ElementAttachment
 * @typedef {import('@chatbuilder/client').FileAttachment} FileAttachment
 * @typedef {import('@chatbuilder/client').ImageAttachment} ImageAttachment
 */

/**
 * GET /admin/studio: the studio's own setup (its OpenApiAddition, not the starter's API; the type is
 * generated from that fragment into examples/src/ui-types/, a type-only import).
 * @typedef {import('@chatbuilder/studio-contracts').StudioInfo} StudioInfo
 */

// The DOM is reached by id; its elements are not what the contracts check.
/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
const state = {
  /** @type {string | null} */
  appId: null,
  /** @type {string | null} */
  previewUrl: null,
  /** @type {Checkpoint[]} */
  checkpoints: [],
  running: false,
  /** @type {Map<string, any>} run_id -> { lastSeq, cards: Map(key -> card) } */
  runs: new Map(),
  sending: false,        // a chat request of this tab is on its way
  /** @type {{ key: string, attachment: Attachment }[]} sent with the next message (chips the person can remove) */
  attachments: [],
  /** @type {Map<string, any>} preview error key -> its card, since the last checkpoint */
  errors: new Map(),
  selectMode: false,     // the preview's select mode
  /** @type {string | null} the file the code view shows */
  codePath: null,
  /** @type {{ anchor: number, from: number, to: number } | null} */
  codeLines: null,
};

// ---------------------------------------------------------------- HTTP

// Beyond loopback the API needs the access token the studio logged at start: open the UI with
// ?token=<token> and every request carries it.
const accessToken = new URLSearchParams(location.search).get('token');
const client = new ChatBuilderClient({
  baseUrl: `${location.origin}/admin`,
  ...(accessToken ? { token: accessToken } : {}),
  // A broken stream resumes with Last-Event-ID (backing off 0.25 s, 0.5 s, … ~32 s).
  maxReconnects: 8,
});

/** The current app; the UI calls the API only with one open. */
function app() {
  if (!state.appId) throw new Error('no app is open');
  return state.appId;
}

/** @returns {Promise<StudioInfo>} */
async function studioInfo() {
  const response = await fetch('/admin/studio', { headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {} });
  if (!response.ok) throw new Error(`GET /admin/studio: ${response.status}`);
  return response.json();
}

/** @param {any} error */
function toast(error) {
  const t = $('toast');
  t.textContent = error instanceof ChatBuilderApiError
    ? `${error.code} (${error.status}): ${error.message.replace(`${error.code}: `, '')}` : String(error.message || error);
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}
/** @type {ReturnType<typeof setTimeout> | undefined} */
toast.timer = undefined;

/**
 * @template {any[]} A
 * @param {(...args: A) => unknown} fn
 * @returns {(...args: A) => Promise<void>}
 */
function guarded(fn) {
  return async (...args) => {
    try { await fn(...args); } catch (e) { toast(e); }
  };
}

// ---------------------------------------------------------------- run streams

// Shows a run's events until its terminal event (the client resumes a broken stream with
// Last-Event-ID, so nothing is missed or shown twice); stops when the person switched apps.
/**
 * @param {string} appId
 * @param {RunStream} stream
 */
async function consume(appId, stream) {
  for await (const event of stream) {
    if (appId !== state.appId) return; // the person switched apps
    onEvent(event);
  }
}

// Follows a run from what this tab showed of it to its end.
/**
 * @param {string} appId
 * @param {string} runId
 */
async function follow(appId, runId) {
  await consume(appId, await client.runEvents(appId, runId, { lastEventId: runState(runId).lastSeq }));
}

// ---------------------------------------------------------------- timeline

function runState(runId) {
  let run = state.runs.get(runId);
  if (!run) {
    run = { lastSeq: 0, cards: new Map() };
    state.runs.set(runId, run);
  }
  return run;
}

/**
 * A card of the timeline (a div that keeps its payloads and state in properties of its own).
 * @returns {any}
 */
function card(kind, type, title, stateText) {
  /** @type {any} */
  const el = document.createElement('div');
  el.className = `card ${kind} ${type}`;
  el.dataset.type = type;
  el.dataset.testid = 'card';
  el.setAttribute('data-testid', 'card');
  el.innerHTML = '<div class="head"><span class="kind"></span><span class="title"></span><span class="state"></span></div>'
    + '<div class="body"></div><details class="raw" data-testid="raw"><summary>Raw JSON</summary><pre></pre></details>';
  el.querySelector('.kind').textContent = kind;
  el.querySelector('.title').textContent = title;
  el.querySelector('.state').textContent = stateText || '';
  el.payloads = [];
  $('timeline').appendChild(el);
  el.scrollIntoView({ block: 'end' });
  return el;
}

function addPayload(el, payload) {
  el.payloads.push(payload);
  el.querySelector('details.raw pre').textContent =
    JSON.stringify(el.payloads.length === 1 ? el.payloads[0] : el.payloads, null, 2);
}

function setBody(el, text) { el.querySelector('.body').textContent = text; }
function setState(el, text) { el.querySelector('.state').textContent = text; }
function time(iso) { return new Date(iso).toLocaleTimeString(); }

// ---------------------------------------------------------------- live tool input

// Which argument of a tool is the code that types itself in its card as the model writes it.
const LIVE_FIELDS = {
  write_file: ['content'],
  edit_file: ['new_string', 'new_text', 'replacement', 'content'],
  apply_patch: ['patch', 'input'],
};

// Reads the top-level string fields of a JSON object that may be cut off anywhere (the arguments
// while the model is still writing them). A string cut off mid-way is returned as far as it goes;
// an escape cut off at the end is left out until the rest arrives.
function partialFields(text) {
  const out = {};
  let i = text.indexOf('{');
  if (i < 0) return out;
  i++;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const ESC = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
  function str() { // at an opening quote
    i++;
    let s = '';
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') { i++; return { value: s, done: true }; }
      if (ch === '\\') {
        if (i + 1 >= text.length) break;
        const e = text[i + 1];
        if (e === 'u') {
          if (i + 6 > text.length) break;
          s += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          s += ESC[e] ?? e;
          i += 2;
        }
        continue;
      }
      s += ch;
      i++;
    }
    return { value: s, done: false };
  }
  function skipValue() { // numbers, literals, arrays, objects: not shown
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') { str(); continue; }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') { if (depth === 0) return; depth--; }
      else if (ch === ',' && depth === 0) return;
      i++;
    }
  }
  for (;;) {
    ws();
    if (i >= text.length || text[i] === '}') return out;
    if (text[i] === ',') { i++; continue; }
    if (text[i] !== '"') return out;
    const key = str();
    if (!key.done) return out;
    ws();
    if (text[i] !== ':') return out;
    i++;
    ws();
    if (i >= text.length) return out;
    if (text[i] === '"') {
      const v = str();
      out[key.value] = v.value;
      if (!v.done) return out;
    } else {
      skipValue();
    }
  }
}

// The card of one tool call, made by its first tool_input_delta or by tool_started.
/** @param {import('@chatbuilder/client').ToolInputDelta | import('@chatbuilder/client').ToolStarted | import('@chatbuilder/client').ToolCompleted | import('@chatbuilder/client').ToolFailed} e */
function toolCard(run, e) {
  const key = `tool:${e.call_id}`;
  let c = run.cards.get(key);
  if (!c) {
    c = card('tool', 'tool', e.tool_name, '');
    c.dataset.tool = e.tool_name;
    c.dataset.callId = e.call_id;
    c.input = '';
    c.fragments = 0;
    const body = c.querySelector('.body');
    body.innerHTML = '<div class="summary"></div><pre class="live-code" data-testid="live-code" hidden></pre>';
    run.cards.set(key, c);
  }
  return c;
}

function setSummary(c, text) { c.querySelector('.body .summary').textContent = text; }

// Shows the file content the arguments carry so far, typing as more arrives.
function showLiveInput(c, args) {
  const fields = typeof args === 'string' ? partialFields(args) : (args || {});
  const path = fields.path || fields.file_path;
  if (path) c.querySelector('.title').textContent = `${c.dataset.tool} ${path}`;
  const field = (LIVE_FIELDS[c.dataset.tool] || []).find((f) => typeof fields[f] === 'string');
  if (!field) return;
  const pre = c.querySelector('.live-code');
  pre.hidden = false;
  pre.dataset.field = field;
  pre.textContent = fields[field];
  pre.scrollTop = pre.scrollHeight;
}

/** @param {Usage | undefined} u */
function tokensLine(u) {
  if (!u) return '';
  const cache = [];
  if (u.cache_read_tokens) cache.push(`${u.cache_read_tokens} from cache`);
  if (u.cache_write_tokens) cache.push(`${u.cache_write_tokens} written to cache`);
  return `tokens: ${u.input_tokens || 0} in${cache.length ? ` (${cache.join(', ')})` : ''} · ${u.output_tokens || 0} out`;
}

function describeArgs(args) {
  if (args && typeof args === 'object') {
    if (args.path) return args.path;
    if (args.from && args.to) return `${args.from} → ${args.to}`;
    if (args.pattern) return `“${args.pattern}”`;
    if (Array.isArray(args.argv)) return args.argv.join(' ');
  }
  return '';
}

/** @param {ChatBuilderEvent | UnknownEvent} event */
function onEvent(event) {
  // Events of types this UI does not know (a newer server) get a generic card; known ones are typed.
  const e = /** @type {ChatBuilderEvent} */ (event);
  const run = runState(e.run_id);
  if (e.seq <= run.lastSeq) return; // already shown
  run.lastSeq = e.seq;
  switch (e.type) {
    case 'run_started': {
      const c = card('user', e.type, e.message, time(e.at));
      setBody(c, `model: ${e.model}`);
      for (const a of run.attachments || []) {
        const chip = document.createElement('span');
        chip.className = `chip sent ${a.type}`;
        chip.dataset.type = a.type;
        chip.textContent = attachmentLabel(a);
        c.querySelector('.body').append(document.createElement('br'), chip);
      }
      addPayload(c, e);
      setRunning(true);
      break;
    }
    case 'assistant_delta': {
      const key = `assistant:${e.step}`;
      let c = run.cards.get(key);
      if (!c) {
        c = card('assistant', 'assistant_message', 'Assistant', 'streaming…');
        c.dataset.streaming = 'true';
        run.cards.set(key, c);
      }
      c.text = (c.text || '') + e.text;
      setBody(c, c.text);
      addPayload(c, e);
      break;
    }
    case 'assistant_message': {
      const thinking = run.cards.get(`reasoning:${e.step}`);
      if (thinking) setState(thinking, `${thinking.reasoning.length} chars`);
      if (!e.text) break;
      const key = `assistant:${e.step}`;
      let c = run.cards.get(key);
      if (!c) { c = card('assistant', 'assistant_message', 'Assistant', ''); run.cards.set(key, c); }
      c.text = e.text;
      c.dataset.streaming = 'false';
      setBody(c, e.text);
      setState(c, '');
      addPayload(c, e);
      break;
    }
    case 'reasoning_delta': {
      // Thinking is shown collapsed, apart from the answer.
      const key = `reasoning:${e.step}`;
      let c = run.cards.get(key);
      if (!c) {
        c = card('reasoning', 'reasoning', 'Thinking', 'streaming…');
        c.querySelector('.body').innerHTML =
          '<details class="reasoning" data-testid="reasoning"><summary>show reasoning</summary><pre></pre></details>';
        c.reasoning = '';
        run.cards.set(key, c);
      }
      c.reasoning += e.text;
      c.querySelector('details.reasoning pre').textContent = c.reasoning;
      setState(c, `${c.reasoning.length} chars`);
      break;
    }
    case 'tool_input_delta': {
      const c = toolCard(run, e);
      if (!c.dataset.status) c.dataset.status = 'streaming';
      // offset says where the fragment goes; a replay after a reconnect may repeat what is shown
      if (e.offset === c.input.length) {
        c.input += e.fragment;
      } else if (e.offset < c.input.length) {
        c.input = c.input.slice(0, e.offset) + e.fragment;
      } else {
        break; // a gap: wait for tool_started's complete arguments
      }
      c.fragments++;
      setState(c, `writing… ${c.input.length} chars`);
      showLiveInput(c, c.input);
      break;
    }
    case 'tool_started': {
      const c = toolCard(run, e);
      c.querySelector('.title').textContent = `${e.tool_name} ${describeArgs(e.arguments)}`.trim();
      c.dataset.status = 'running';
      setState(c, 'running…');
      showLiveInput(c, e.arguments);
      addPayload(c, e);
      break;
    }
    case 'tool_completed':
    case 'tool_failed': {
      const c = toolCard(run, e);
      const ok = e.type === 'tool_completed';
      c.dataset.status = ok ? 'ok' : 'failed';
      setState(c, `${ok ? '✓' : '✗'} ${e.duration_ms} ms`);
      setSummary(c, ok ? e.summary : `${e.error_code}: ${e.error}`);
      addPayload(c, e);
      break;
    }
    case 'file_changes': {
      const c = card('files', e.type, `${e.changes.length} file${e.changes.length === 1 ? '' : 's'} changed`, time(e.at));
      setBody(c, e.changes.map((ch) => `${ch.kind} ${ch.path} (+${ch.lines_added} −${ch.lines_removed})`).join('\n'));
      addPayload(c, e);
      refreshPreviewSoon();
      break;
    }
    case 'checkpoint_created': {
      const cp = e.checkpoint;
      const c = card('checkpoint', 'checkpoint', `${cp.checkpoint_type} · ${cp.checkpoint_label}`, time(cp.created_at));
      setBody(c, statsLine(cp));
      addPayload(c, e);
      refreshCheckpoints().catch(toast);
      break;
    }
    case 'status': {
      const c = card('status', e.type, e.message, time(e.at));
      addPayload(c, e);
      break;
    }
    case 'run_completed':
    case 'run_failed':
    case 'run_cancelled': {
      const title = e.type === 'run_completed' ? `Run completed in ${e.steps} step${e.steps === 1 ? '' : 's'}`
        : e.type === 'run_failed' ? `Run failed: ${e.error_code}` : 'Run cancelled';
      const usage = e.type === 'run_completed' ? e.usage : undefined;
      // a call whose arguments were still streaming never started (cancelled, failed)
      for (const [key, tool] of run.cards) {
        if (key.startsWith('tool:') && tool.dataset.status === 'streaming') {
          tool.dataset.status = 'failed';
          setState(tool, 'not run');
        }
      }
      const c = card('run', e.type, title, time(e.at));
      if (usage) {
        setBody(c, tokensLine(usage));
        c.querySelector('.body').dataset.testid = 'tokens';
      }
      if (e.type === 'run_failed' && e.error) setBody(c, e.error);
      if (e.type === 'run_cancelled' && e.reason) setBody(c, e.reason);
      addPayload(c, e);
      setRunning(false);
      refreshCheckpoints().catch(toast);
      refreshPreviewSoon();
      break;
    }
    default: {
      const unknown = /** @type {UnknownEvent} */ (event);
      const c = card('event', unknown.type, unknown.type, time(unknown.at));
      addPayload(c, unknown);
    }
  }
}

/** @param {Checkpoint} cp */
function statsLine(cp) {
  const s = cp.stats;
  return `+${s.files_added || 0} ~${s.files_modified || 0} −${s.files_deleted || 0} files, `
    + `+${s.lines_added || 0}/−${s.lines_removed || 0} lines`;
}

function setRunning(running) {
  state.running = running;
  document.body.dataset.running = String(running);
  $('run-state').textContent = running ? 'agent running…' : 'idle';
  $('cancel-btn').disabled = !running;
  $('send-btn').disabled = running;
}

// ---------------------------------------------------------------- chat

// Sends the message with the attachments shown as chips. They are cleared only once the studio
// accepted the run: a refused request (busy, a bad image) keeps them for the next try.
/** @param {string} message */
async function sendChat(message) {
  const appId = app();
  const sent = state.attachments.slice();
  /** @type {ChatRequest} */
  const body = { message };
  if (sent.length) body.attachments = sent.map((a) => a.attachment);
  state.sending = true;
  /** @type {RunStream} */
  let stream;
  try {
    stream = await client.chat(appId, body); // refused requests (busy, a bad image) fail here
  } finally {
    state.sending = false;
  }
  state.attachments = state.attachments.filter((a) => !sent.includes(a));
  renderAttachments();
  const runId = stream.runId;
  runState(runId).own = true;
  // Shown on this tab's card of the message (run_started does not carry them).
  runState(runId).attachments = sent.map((a) => a.attachment);
  setRunning(true);
  try {
    await consume(appId, stream);
  } finally {
    if (appId === state.appId) setRunning(false);
  }
}

// ---------------------------------------------------------------- checkpoints, history, diff

// onList runs once the checkpoint list and undo/redo buttons show the new state (before the files).
async function refreshCheckpoints(onList) {
  if (!state.appId) return;
  const appId = state.appId;
  const data = await client.listCheckpoints(appId, { limit: 100 });
  if (appId !== state.appId) return;
  // A selection of the current checkpoint follows the head when another change (another tab's
  // undo, a run) moves it; any other selection stays.
  const previousHead = (state.checkpoints[0] || {}).id;
  state.checkpoints = data.checkpoints;
  $('undo-btn').disabled = !data.can_undo;
  $('redo-btn').disabled = !data.can_redo;
  const selected = $('checkpoint-select').value === previousHead ? '' : $('checkpoint-select').value;
  fillCheckpoints($('checkpoint-select'), data.checkpoints, selected || data.head_id, true);
  // Until the person picks, the diff compares the previous checkpoint with the current one.
  const previous = (data.checkpoints[1] || data.checkpoints[0] || {}).id;
  fillCheckpoints($('diff-from'), data.checkpoints, $('diff-from').dataset.touched ? $('diff-from').value : previous);
  fillCheckpoints($('diff-to'), data.checkpoints, $('diff-to').dataset.touched ? $('diff-to').value : data.head_id);
  if (onList) onList();
  await refreshFiles();
}

/**
 * @param {any} select
 * @param {Checkpoint[]} checkpoints
 * @param {string | undefined} selectedId
 * @param {boolean} [head]
 */
function fillCheckpoints(select, checkpoints, selectedId, head) {
  select.innerHTML = '';
  checkpoints.forEach((cp, i) => {
    const option = document.createElement('option');
    option.value = cp.id;
    option.dataset.type = cp.checkpoint_type;
    option.textContent = `${time(cp.created_at)} · ${cp.checkpoint_type} · ${cp.checkpoint_label}${head && i === 0 ? '  (current)' : ''}`;
    option.selected = cp.id === selectedId;
    select.appendChild(option);
  });
  if (select.selectedIndex < 0 && select.options.length) select.selectedIndex = 0;
}

async function refreshFiles() {
  const id = $('checkpoint-select').value;
  const select = $('file-select');
  const previous = select.value;
  select.innerHTML = '';
  if (!id) return;
  const data = await client.listFiles(app(), id);
  if ($('checkpoint-select').value !== id) return;
  for (const f of data.files) {
    const option = document.createElement('option');
    option.value = f.path;
    option.textContent = `${f.path} (${f.size} B)`;
    option.selected = f.path === previous;
    select.appendChild(option);
  }
  await showFileTree(id, data.files);
}

/**
 * @param {string} action
 * @param {HistoryResponse} result
 */
function historyCard(action, result) {
  const cp = result.checkpoint;
  const c = card('history', 'history', `${action} → ${cp.checkpoint_type} · ${cp.checkpoint_label}`, time(cp.created_at));
  setBody(c, statsLine(cp));
  addPayload(c, result);
}

/**
 * @param {string} action
 * @param {(appId: string) => Promise<HistoryResponse>} operation
 */
async function historyAction(action, operation) {
  const result = await operation(app());
  historyCard(action, result);
  $('checkpoint-select').value = '';
  await refreshCheckpoints();
  refreshPreview();
}

async function showDiff() {
  showTab('diff');
  const from = $('diff-from').value;
  const to = $('diff-to').value;
  const data = await client.diff(app(), from, to);
  const view = $('diff-view');
  view.innerHTML = '';
  if (!data.files.length) view.textContent = 'No differences.';
  for (const f of data.files) {
    const box = document.createElement('div');
    box.className = 'file';
    box.dataset.path = f.path;
    const h = document.createElement('h4');
    h.textContent = `${f.kind} ${f.path} (+${f.lines_added} −${f.lines_removed})`;
    const pre = document.createElement('pre');
    for (const line of (f.unified_diff || (f.binary ? 'binary file' : '')).split('\n')) {
      const span = document.createElement('span');
      span.className = line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : '';
      span.textContent = line + '\n';
      pre.appendChild(span);
    }
    const unified = document.createElement('details');
    unified.className = 'unified';
    const summary = document.createElement('summary');
    summary.textContent = 'unified';
    unified.append(summary, pre);
    box.append(h, sideBySide(f), unified);
    view.appendChild(box);
  }
  // One file or all of them.
  const pick = $('diff-file');
  pick.innerHTML = '';
  const all = document.createElement('option');
  all.value = '';
  all.textContent = `all ${data.files.length} files`;
  pick.appendChild(all);
  for (const f of data.files) {
    const option = document.createElement('option');
    option.value = option.textContent = f.path;
    pick.appendChild(option);
  }
  $('diff-file-row').hidden = data.files.length < 2;
}

function showDiffFile() {
  const path = $('diff-file').value;
  for (const box of $('diff-view').querySelectorAll('.file')) box.hidden = !!path && box.dataset.path !== path;
}

// The side-by-side view of one file's unified diff: old on the left, new on the right, removed and
// added lines paired row by row, context on both sides; highlighted, and always as text.
/** @param {FileDiff} f */
function sideBySide(f) {
  const table = document.createElement('table');
  table.className = 'sbs';
  table.dataset.testid = 'side-by-side';
  const columns = document.createElement('colgroup');
  for (const cls of ['no', 'code', 'no', 'code']) {
    const col = document.createElement('col');
    col.className = cls;
    columns.appendChild(col);
  }
  table.appendChild(columns);
  if (!f.unified_diff) {
    const row = table.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.className = 'note';
    cell.textContent = f.binary ? 'binary file' : 'no text changes';
    return table;
  }
  const language = languageOf(f.path);
  let oldNo = 0;
  let newNo = 0;
  let dels = [];
  let adds = [];
  const addRow = (cls, left, right) => {
    const row = table.insertRow();
    row.className = cls;
    for (const [no, text, side] of [[left?.no, left?.text, 'old'], [right?.no, right?.text, 'new']]) {
      const num = row.insertCell();
      num.className = `no ${side}`;
      num.textContent = no === undefined ? '' : String(no);
      const code = row.insertCell();
      code.className = `code ${side}${text === undefined ? ' empty' : ''}`;
      if (text !== undefined) appendTokens(code, tokenLines(text, language)[0] || []);
    }
  };
  const flush = () => {
    for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
      addRow(dels[k] && adds[k] ? 'change' : dels[k] ? 'del' : 'add', dels[k], adds[k]);
    }
    dels = [];
    adds = [];
  };
  for (const line of f.unified_diff.split('\n')) {
    if (line.startsWith('--- ') || line.startsWith('+++ ') || line.startsWith('\\')) continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      flush();
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
      const row = table.insertRow();
      row.className = 'hunk';
      const cell = row.insertCell();
      cell.colSpan = 4;
      cell.textContent = line;
      continue;
    }
    if (line.startsWith('-')) { dels.push({ no: oldNo++, text: line.slice(1) }); continue; }
    if (line.startsWith('+')) { adds.push({ no: newNo++, text: line.slice(1) }); continue; }
    if (line.startsWith(' ')) {
      flush();
      addRow('ctx', { no: oldNo++, text: line.slice(1) }, { no: newNo++, text: line.slice(1) });
    }
  }
  flush();
  return table;
}

// ---------------------------------------------------------------- preview and publish

async function startPreview() {
  const draft = await client.startDraft(app());
  state.previewUrl = draft.preview_url ? reachable(draft.preview_url) : null;
  $('preview-link').textContent = state.previewUrl ? new URL(state.previewUrl, location.href).href : `draft ${draft.state}`;
  if (state.previewUrl) $('preview-link').href = state.previewUrl;
  refreshPreview();
}

// Preview servers listen next to the studio; a loopback URL is rewritten to the host this page came
// from, so the preview also works when the studio is opened through another name.
function reachable(url) {
  const u = new URL(url, location.href);
  if (['127.0.0.1', 'localhost', '0.0.0.0', '[::1]'].includes(u.hostname) && u.hostname !== location.hostname
      && u.origin !== location.origin && !['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname)) {
    u.hostname = location.hostname;
  }
  return u.href;
}

function refreshPreview() {
  if (!state.previewUrl) return;
  const frame = $('preview');
  // The preview's scripts get its own origin's storage (allow-same-origin) only when that origin is
  // not this page's: a same-origin frame with scripts and allow-same-origin could lift its sandbox.
  const sandbox = new URL(state.previewUrl, location.href).origin === location.origin
    ? 'allow-scripts allow-forms' : 'allow-scripts allow-same-origin allow-forms';
  if (frame.getAttribute('sandbox') !== sandbox) frame.setAttribute('sandbox', sandbox); // applies from the next load
  frame.dataset.loads = String(Number(frame.dataset.loads || 0) + 1);
  frame.src = `${state.previewUrl}${state.previewUrl.includes('?') ? '&' : '?'}v=${frame.dataset.loads}`;
}

/** @type {{ (): void, timer?: ReturnType<typeof setTimeout> }} */
const refreshPreviewSoon = () => {
  clearTimeout(refreshPreviewSoon.timer);
  refreshPreviewSoon.timer = setTimeout(refreshPreview, 150);
};

async function publish() {
  const box = $('publish-result');
  box.hidden = false;
  box.className = 'publish-result';
  box.textContent = 'Publishing…';
  const r = await client.publish(app());
  box.className = `publish-result ${r.success ? 'ok' : 'failed'}`;
  box.dataset.success = String(r.success);
  box.textContent = r.success
    ? `Published ${r.publish_id}: ${r.files} files, manifest ${r.manifest_hash.slice(0, 12)}… `
    : `Publish failed: ${r.error || 'unknown error'}`;
  if (r.site_url) {
    const a = document.createElement('a');
    a.href = r.site_url;
    a.target = '_blank';
    a.textContent = 'open';
    a.setAttribute('data-testid', 'publish-link');
    box.appendChild(a);
  }
}

// ---------------------------------------------------------------- the app stream

// Every change to the app — this tab's, another tab's, another host's — arrives on the app stream
// (GET /admin/apps/{id}/events), so every open tab stays in step: checkpoints, undo/redo state,
// files and preview are refreshed on each checkpoint, and a run another tab started is followed.
// The client resumes a broken app stream with Last-Event-ID.
// What the browser tests read: the last app event and when the UI had caught up with it.
/** @type {{ lastSeq: number, lastType: string | null, lastEventAt: number, receivedAt: number, refreshedSeq: number, refreshedAt: number }} */
const appStats = { lastSeq: 0, lastType: null, lastEventAt: 0, receivedAt: 0, refreshedSeq: 0, refreshedAt: 0 };
Object.assign(window, { studioAppStream: appStats });
/** @type {{ abort: AbortController | null, refreshing: boolean, dirty: boolean }} */
const appStream = { abort: null, refreshing: false, dirty: false };

/** @param {string} appId */
async function followApp(appId) {
  if (appStream.abort) appStream.abort.abort();
  const abort = new AbortController();
  appStream.abort = abort;
  Object.assign(appStats, { lastSeq: 0, lastType: null, lastEventAt: 0, receivedAt: 0, refreshedSeq: 0, refreshedAt: 0 });
  // From the start: the backlog only costs a coalesced refresh, and runs in it that ended are not followed.
  try {
    for await (const e of await client.appEvents(appId, { signal: abort.signal })) {
      if (appStream.abort !== abort || appId !== state.appId) return;
      if (e.seq <= appStats.lastSeq) continue;
      Object.assign(appStats, { lastSeq: e.seq, lastType: e.type, lastEventAt: Date.parse(e.at), receivedAt: Date.now() });
      document.body.dataset.appSeq = String(e.seq);
      onAppEvent(appId, /** @type {AppEvent} */ (e));
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  }
}

/**
 * @param {string} appId
 * @param {AppEvent} e
 */
function onAppEvent(appId, e) {
  switch (e.type) {
    case 'checkpoint_created':
      markErrorsStale();
      refreshFromAppStream(appId, e.seq);
      refreshPreviewSoon();
      break;
    case 'preview_error':
      showPreviewError(e);
      break;
    case 'run_started':
      followOtherRun(appId, e.run_id).catch(toast);
      break;
    case 'draft_state':
      if (e.state === 'running') refreshPreviewSoon();
      break;
    default:
      break;
  }
}

// A run another tab (or host) started: followed while it is still the app's active run.
async function followOtherRun(appId, runId) {
  if (state.sending || state.running || state.runs.has(runId)) return;
  const runs = await client.listRuns(appId, 1);
  if (runs.active_run_id !== runId || appId !== state.appId || state.sending || state.running || state.runs.has(runId)) return;
  setRunning(true);
  try {
    await follow(appId, runId);
  } finally {
    if (appId === state.appId) setRunning(false);
  }
}

// Coalesces refreshes: a burst of events (a replayed backlog, a run's checkpoints) costs at most
// one refresh in flight and one after it.
async function refreshFromAppStream(appId, seq) {
  if (appStream.refreshing) { appStream.dirty = true; return; }
  appStream.refreshing = true;
  try {
    do {
      appStream.dirty = false;
      const upTo = appStats.lastSeq;
      await refreshCheckpoints(() => {
        if (appId === state.appId) {
          Object.assign(appStats, { refreshedSeq: Math.max(upTo, seq), refreshedAt: Date.now() });
        }
      });
      if (appId !== state.appId) return;
    } while (appStream.dirty);
  } catch (e) {
    toast(e);
  } finally {
    appStream.refreshing = false;
  }
}

// ---------------------------------------------------------------- attachments of the next message

// What the chat endpoint accepts (core's attachment mapping checks them again, with the limits).
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_IMAGE_BYTES = 3 * 1024 * 1024; // core's Attachment.MAX_IMAGE_BYTES

/** @param {Attachment} attachment */
function addAttachment(attachment) {
  const key = JSON.stringify(attachment);
  if (state.attachments.some((a) => a.key === key)) return;
  state.attachments.push({ key, attachment });
  renderAttachments();
}

/** @param {Attachment} a */
function attachmentLabel(a) {
  const at = (file, line, column) => [file, line, column].filter((x) => x !== undefined && x !== null).join(':');
  switch (a.type) {
    case 'diagnostic': return `${a.kind}: ${a.message}${a.file ? ` (${at(a.file, a.line, a.column)})` : ''}`;
    case 'element': return `<${a.tag}> ${at(a.file, a.line, a.column)}${a.text ? ` “${a.text}”` : ''}`;
    case 'image': {
      const bytes = Math.floor(a.data.length * 3 / 4) - (a.data.endsWith('==') ? 2 : a.data.endsWith('=') ? 1 : 0);
      return `${a.name || 'image'} (${a.media_type}, ${bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KiB`})`;
    }
    case 'file': return a.start_line ? `${a.path}:${a.start_line}-${a.end_line || a.start_line}` : a.path;
    default: return /** @type {{ type: string }} */ (a).type;
  }
}

function renderAttachments() {
  const box = $('attachments');
  box.textContent = '';
  for (const item of state.attachments) {
    const a = item.attachment;
    const chip = document.createElement('span');
    chip.className = `chip ${a.type}`;
    chip.dataset.type = a.type;
    chip.setAttribute('data-testid', 'chip');
    if (a.type === 'image') {
      const img = document.createElement('img');
      img.alt = '';
      img.src = `data:${a.media_type};base64,${a.data}`;
      chip.appendChild(img);
    }
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = attachmentLabel(a);
    label.title = label.textContent;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'remove';
    remove.setAttribute('aria-label', `Remove ${label.textContent}`);
    remove.setAttribute('data-testid', 'chip-remove');
    remove.textContent = '×';
    remove.addEventListener('click', () => {
      state.attachments = state.attachments.filter((x) => x !== item);
      renderAttachments();
    });
    chip.append(label, remove);
    box.appendChild(chip);
  }
  box.hidden = state.attachments.length === 0;
}

async function attachImage(file) {
  if (!IMAGE_TYPES.has(file.type)) {
    throw new Error(`${file.name || 'the file'} is ${file.type || 'of an unknown type'}; attach a PNG, JPEG, GIF or WebP image`);
  }
  if (file.size > MAX_IMAGE_BYTES) {
    throw new Error(`${file.name || 'the image'} has ${file.size} bytes; images up to ${MAX_IMAGE_BYTES} bytes can be attached`);
  }
  const url = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error || new Error('cannot read the image'));
    reader.readAsDataURL(file);
  });
  const comma = url.indexOf(',');
  /** @type {ImageAttachment} */
  const attachment = { type: 'image', media_type: /** @type {ImageAttachment['media_type']} */ (file.type), data: url.slice(comma + 1) };
  if (file.name) attachment.name = file.name;
  addAttachment(attachment);
}

// ---------------------------------------------------------------- preview errors

const ERROR_KINDS = { compile_error: 'Compile error', uncaught_error: 'Runtime error',
  unhandled_rejection: 'Unhandled rejection', console_error: 'console.error' };

/** @param {AppPreviewError} e */
function errorLocation(e) {
  if (!e.file) return '';
  return e.line ? `${e.file}:${e.line}${e.column ? `:${e.column}` : ''}` : e.file;
}

// A preview_error of the app stream: one card per distinct error since the last change, with
// "Fix this", which attaches it to the next message.
/** @param {AppPreviewError} e */
function showPreviewError(e) {
  const key = JSON.stringify([e.kind, e.message, e.file || '', e.line || 0, e.column || 0]);
  let c = state.errors.get(key);
  if (!c) {
    c = card('error', 'preview_error', `${ERROR_KINDS[e.kind] || e.kind}: ${e.message}`, time(e.at));
    c.dataset.kind = e.kind;
    const body = c.querySelector('.body');
    body.innerHTML = '<div class="where"></div><div class="actions"><button type="button" class="fix" data-testid="fix-btn">Fix this</button>'
      + ' <button type="button" class="show-code" data-testid="show-code-btn">Show code</button></div>';
    const where = errorLocation(e);
    c.dataset.file = e.file || '';
    c.dataset.line = String(e.line || 0);
    c.dataset.location = where;
    body.querySelector('.where').textContent = where ? `at ${where}` : 'no source location';
    /** @type {DiagnosticAttachment} */
    const attachment = { type: 'diagnostic', kind: /** @type {DiagnosticAttachment['kind']} */ (e.kind), message: e.message };
    if (e.file) attachment.file = e.file;
    if (e.file && e.line > 0) attachment.line = e.line;
    if (e.file && e.line > 0 && e.column > 0) attachment.column = e.column;
    body.querySelector('.fix').addEventListener('click', () => {
      addAttachment(attachment);
      if (!$('chat-input').value.trim()) $('chat-input').value = 'Fix this error.';
      $('chat-input').focus();
    });
    const show = body.querySelector('.show-code');
    show.hidden = !e.file;
    show.addEventListener('click', guarded(() => openCode(e.file, e.line)));
    state.errors.set(key, c);
  }
  c.dataset.count = String(e.count || 1);
  setState(c, `${time(e.at)}${e.count > 1 ? ` · ×${e.count}` : ''}`);
  addPayload(c, e);
  updateDiagnosticsBadge();
}

// A change may have fixed them: the cards stay in the timeline, marked, and leave the badge.
function markErrorsStale() {
  for (const c of state.errors.values()) c.dataset.stale = 'true';
  state.errors.clear();
  updateDiagnosticsBadge();
}

function updateDiagnosticsBadge() {
  const badge = $('diag-badge');
  const n = state.errors.size;
  badge.hidden = n === 0;
  badge.dataset.count = String(n);
  badge.textContent = `${n} error${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------- select mode over the preview

function previewOrigin() {
  if (!state.previewUrl) return null;
  try { return new URL(state.previewUrl, location.href).origin; } catch { return null; }
}

function showSelectionHint(text) {
  const box = $('selection');
  box.hidden = false;
  box.textContent = text;
  delete box.dataset.file;
}

function setSelectMode(on) {
  if (on && !state.selectMode) {
    delete document.body.dataset.selectAck;
    showSelectionHint('Select mode: click an element in the preview (Vite drafts; the static preview has no select mode).');
  } else if (!on && state.selectMode && !$('selection').dataset.file) {
    $('selection').hidden = true;
  }
  state.selectMode = on;
  $('select-btn').setAttribute('aria-pressed', String(on));
  $('select-btn').classList.toggle('on', on);
  document.body.dataset.selectMode = String(on);
  postSelectMode();
}

// Tells the preview (its own origin, never '*') whether clicks select elements; also after each load.
function postSelectMode() {
  const origin = previewOrigin();
  const frame = $('preview').contentWindow;
  if (origin && frame && $('preview').src) frame.postMessage({ type: 'chatbuilder:select-mode', on: state.selectMode }, origin);
}

const MAX_TEXT = 200;

// What the preview reported, checked: only the preview frame's window on the preview's origin counts.
function onPreviewMessage(ev) {
  const origin = previewOrigin();
  if (!origin || ev.origin !== origin || ev.source !== $('preview').contentWindow) return;
  const d = ev.data;
  if (d && typeof d === 'object' && d.type === 'chatbuilder:select-mode-changed' && typeof d.on === 'boolean') {
    // The preview has the select-mode client (Vite drafts do; the static preview does not).
    document.body.dataset.selectAck = String(d.on);
    if (state.selectMode && d.on) showSelectionHint('Select mode: click an element in the preview.');
    return;
  }
  if (!d || typeof d !== 'object' || d.type !== 'chatbuilder:element-selected') return;
  const file = typeof d.file === 'string' ? d.file.trim() : '';
  if (!file || file.length > 1000 || !Number.isInteger(d.line) || d.line < 1
      || !Number.isInteger(d.column) || d.column < 1 || typeof d.tag !== 'string' || !/^[A-Za-z][\w.:-]{0,63}$/.test(d.tag)) {
    toast(new Error('the preview reported an element without a usable source location'));
    return;
  }
  /** @type {ElementAttachment} */
  const attachment = { type: 'element', file, line: d.line, column: d.column, tag: d.tag };
  const text = typeof d.text === 'string' ? d.text.replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT) : '';
  if (text) attachment.text = text;
  addAttachment(attachment);
  const box = $('selection');
  box.hidden = false;
  box.dataset.file = file;
  box.dataset.line = String(d.line);
  box.textContent = `<${attachment.tag}>${text ? ` “${text}”` : ''} comes from ${file}:${d.line}:${d.column}`;
  const show = document.createElement('button');
  show.type = 'button';
  show.textContent = 'Show code';
  show.addEventListener('click', guarded(() => openCode(file, d.line)));
  box.append(' ', show);
  setSelectMode(false);
}

// ---------------------------------------------------------------- code view (read-only)

// The checkpoint's files as a tree of folders; clicking a file shows it highlighted.
/**
 * @param {string} checkpointId
 * @param {FileEntry[]} files
 */
async function showFileTree(checkpointId, files) {
  const root = $('file-tree');
  const key = JSON.stringify([checkpointId, files.map((f) => [f.path, f.size])]);
  if (root.dataset.key === key) { // the same tree: kept (and what is selected in it)
    if (state.codePath && files.some((f) => f.path === state.codePath)) await loadCode(state.codePath);
    return;
  }
  root.dataset.key = key;
  root.dataset.checkpoint = checkpointId;
  root.textContent = '';
  $('code-checkpoint').textContent = `· ${checkpointId.slice(0, 16)}`;
  const tree = {};
  for (const f of files) {
    let node = tree;
    const parts = f.path.split('/');
    parts.slice(0, -1).forEach((dir) => { node = node[`${dir}/`] = node[`${dir}/`] || {}; });
    node[parts[parts.length - 1]] = f;
  }
  const render = (node, ul, prefix) => {
    const names = Object.keys(node).sort((a, b) => (Number(b.endsWith('/')) - Number(a.endsWith('/'))) || a.localeCompare(b));
    for (const name of names) {
      const li = document.createElement('li');
      li.setAttribute('role', 'treeitem');
      if (name.endsWith('/')) {
        li.className = 'dir';
        const label = document.createElement('span');
        label.textContent = name;
        const sub = document.createElement('ul');
        render(node[name], sub, prefix + name);
        li.append(label, sub);
      } else {
        const f = node[name];
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'file';
        button.dataset.path = f.path;
        button.textContent = name;
        button.title = `${f.path} (${f.size} B)`;
        button.addEventListener('click', guarded(() => loadCode(f.path)));
        li.appendChild(button);
      }
      ul.appendChild(li);
    }
  };
  render(tree, root, '');
  if (state.codePath && files.some((f) => f.path === state.codePath)) await loadCode(state.codePath);
  else if (state.codePath) {
    $('code-content').textContent = 'not in this checkpoint';
    $('code-content').dataset.path = '';
    $('code-content').dataset.checkpoint = '';
    $('attach-file-btn').disabled = true;
  }
}

// Shows a file of the selected checkpoint; one already shown is not rendered again (a refresh keeps
// the lines picked), only the line is marked.
async function loadCode(path, line) {
  const id = $('checkpoint-select').value;
  if (!id) return;
  state.codePath = path;
  for (const b of $('file-tree').querySelectorAll('button.file')) b.classList.toggle('selected', b.dataset.path === path);
  const pre = $('code-content');
  if (pre.dataset.checkpoint !== id || pre.dataset.path !== path) {
    const data = await client.readFile(app(), id, path);
    if ($('checkpoint-select').value !== id || state.codePath !== path) return;
    $('code-path').textContent = `${data.path} · ${data.size} B`;
    pre.dataset.path = data.path;
    pre.dataset.checkpoint = id;
    pre.dataset.language = languageOf(data.path);
    state.codeLines = null;
    $('attach-file-btn').disabled = false;
    if (data.binary) {
      pre.textContent = `binary file (${data.size} bytes)`;
      $('attach-file-btn').disabled = true;
      return;
    }
    renderCode(pre, data.content, pre.dataset.language);
  }
  const target = line ? pre.querySelector(`.line[data-line="${Number(line)}"]`) : null;
  if (target) {
    for (const old of pre.querySelectorAll('.line.hit')) old.classList.remove('hit');
    target.classList.add('hit');
    target.scrollIntoView({ block: 'center' });
  }
}

// A click on a line of the code view picks it, a shift-click extends the pick to that line.
function pickCodeLine(e) {
  const line = e.target.closest('#code-content .line');
  if (!line) return;
  const n = Number(line.dataset.line);
  const from = e.shiftKey && state.codeLines ? Math.min(state.codeLines.anchor, n) : n;
  const to = e.shiftKey && state.codeLines ? Math.max(state.codeLines.anchor, n) : n;
  state.codeLines = { anchor: e.shiftKey && state.codeLines ? state.codeLines.anchor : n, from, to };
  for (const l of $('code-content').querySelectorAll('.line')) {
    const k = Number(l.dataset.line);
    l.classList.toggle('picked', k >= from && k <= to);
  }
}

function attachCodeFile() {
  const path = $('code-content').dataset.path;
  if (!path) return;
  /** @type {FileAttachment} */
  const attachment = { type: 'file', path };
  if (state.codeLines) {
    attachment.start_line = state.codeLines.from;
    attachment.end_line = state.codeLines.to;
  }
  addAttachment(attachment);
}

// The right pane shows the preview, the code view or the diff.
function showTab(name) {
  for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.tabs [data-tab]'))) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
  /** @type {HTMLElement} */ (document.querySelector('.preview-pane')).dataset.tab = name;
  $('code-view').hidden = name !== 'code';
  $('diff-pane').hidden = name !== 'diff';
}

// Opens the code view on a file of the current checkpoint, at a line.
async function openCode(path, line) {
  const head = (state.checkpoints[0] || {}).id;
  if (head && $('checkpoint-select').value !== head) {
    $('checkpoint-select').value = head;
    await refreshFiles();
  }
  showTab('code');
  await loadCode(path, line);
}

// ---------------------------------------------------------------- apps

async function loadApps(select) {
  const data = await client.listApps();
  const picker = $('app-select');
  picker.innerHTML = '';
  for (const app of data.apps) {
    const option = document.createElement('option');
    option.value = option.textContent = app.app_id;
    picker.appendChild(option);
  }
  const wanted = select || decodeURIComponent(location.hash.slice(1)) || (data.apps[0] || {}).app_id;
  if (wanted && data.apps.some((a) => a.app_id === wanted)) {
    picker.value = wanted;
    await openApp(wanted);
  }
}

async function openApp(appId) {
  state.appId = appId;
  state.runs.clear();
  history.replaceState(null, '', `#${encodeURIComponent(appId)}`);
  $('timeline').innerHTML = '';
  $('diff-view').innerHTML = '';
  delete $('diff-from').dataset.touched;
  delete $('diff-to').dataset.touched;
  $('publish-result').hidden = true;
  $('checkpoint-select').value = '';
  $('diff-file-row').hidden = true;
  state.attachments = [];
  renderAttachments();
  state.errors.clear();
  updateDiagnosticsBadge();
  state.codePath = null;
  $('code-path').textContent = '';
  $('code-content').textContent = '';
  $('code-content').dataset.path = '';
  $('code-content').dataset.checkpoint = '';
  $('file-tree').textContent = '';
  delete $('file-tree').dataset.key;
  $('attach-file-btn').disabled = true;
  $('selection').hidden = true;
  setSelectMode(false);
  showTab('preview');
  setRunning(false);
  await refreshCheckpoints();
  followApp(appId).catch(toast);
  await startPreview();
  // Replay the latest runs so a reload shows what happened; follow a run still going.
  const runs = await client.listRuns(appId, 5);
  for (const runId of runs.run_ids.slice().reverse()) {
    if (runId === runs.active_run_id) continue;
    await follow(appId, runId);
  }
  if (runs.active_run_id) {
    setRunning(true);
    follow(appId, runs.active_run_id).catch(toast).finally(() => setRunning(false));
  }
}

async function createApp(event) {
  event.preventDefault();
  const appId = $('new-app-id').value.trim();
  await client.createApp({ app_id: appId, template_id: $('template-select').value });
  $('new-app-id').value = '';
  await loadApps(appId);
}

// ---------------------------------------------------------------- start

async function init() {
  const info = await studioInfo();
  const badge = $('model-badge');
  badge.textContent = info.demo ? `model: ${info.model} (demo)` : `model: ${info.model}`;
  badge.classList.toggle('demo', info.demo);
  $('demo-banner').hidden = !info.demo;
  // Fail closed: only an explicit "isolated": true hides the warning.
  $('isolation-banner').hidden = info.isolated === true;
  const templates = await client.listTemplates();
  for (const t of templates.templates) {
    const option = document.createElement('option');
    option.value = t.id;
    option.textContent = t.id;
    option.title = t.description;
    $('template-select').appendChild(option);
  }
  $('create-app-form').addEventListener('submit', guarded(createApp));
  $('app-select').addEventListener('change', guarded(() => openApp($('app-select').value)));
  $('chat-form').addEventListener('submit', guarded(async (e) => {
    e.preventDefault();
    const message = $('chat-input').value.trim();
    if (!message || !state.appId) return;
    $('chat-input').value = '';
    try {
      await sendChat(message);
    } catch (err) {
      if (!$('chat-input').value) $('chat-input').value = message; // nothing the person typed is lost
      throw err;
    }
  }));
  $('chat-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('chat-form').requestSubmit(); }
  });
  $('undo-btn').addEventListener('click', guarded(() => historyAction('undo', (a) => client.undo(a))));
  $('redo-btn').addEventListener('click', guarded(() => historyAction('redo', (a) => client.redo(a))));
  $('cancel-btn').addEventListener('click', guarded(() => client.cancel(app())));
  $('restore-btn').addEventListener('click', guarded(() =>
    historyAction('restore', (a) => client.restore(a, $('checkpoint-select').value))));
  $('revert-file-btn').addEventListener('click', guarded(() =>
    historyAction(`revert ${$('file-select').value}`,
      (a) => client.revertFile(a, $('checkpoint-select').value, $('file-select').value))));
  $('checkpoint-select').addEventListener('change', guarded(refreshFiles));
  for (const id of ['diff-from', 'diff-to']) $(id).addEventListener('change', () => { $(id).dataset.touched = 'true'; });
  $('diff-btn').addEventListener('click', guarded(showDiff));
  $('reload-preview-btn').addEventListener('click', refreshPreview);
  $('diff-file').addEventListener('change', showDiffFile);
  $('select-btn').addEventListener('click', () => setSelectMode(!state.selectMode));
  $('preview').addEventListener('load', postSelectMode);
  window.addEventListener('message', onPreviewMessage);
  $('diag-badge').addEventListener('click', () => {
    const last = [...state.errors.values()].pop();
    if (last) last.scrollIntoView({ block: 'center' });
  });
  $('image-input').addEventListener('change', guarded(async (e) => {
    const files = [...e.target.files];
    e.target.value = '';
    for (const file of files) await attachImage(file);
  }));
  $('chat-input').addEventListener('paste', guarded(async (e) => {
    const images = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith('image/'));
    if (!images.length) return;
    e.preventDefault();
    for (const file of images) await attachImage(file);
  }));
  $('code-content').addEventListener('click', pickCodeLine);
  $('attach-file-btn').addEventListener('click', attachCodeFile);
  for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.tabs [data-tab]'))) {
    tab.addEventListener('click', guarded(() => showTab(tab.dataset.tab)));
  }
  $('publish-btn').addEventListener('click', guarded(publish));
  await loadApps();
  document.body.dataset.ready = 'true';
}

guarded(init)();
