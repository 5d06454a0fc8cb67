// ChatBuilder draft dev server: Vite's dev server started through its JavaScript API, with the
// preview diagnostics plugin added to the app's own config (nothing is written into the app).
// Run by ViteDraftRuntime inside the app's sandbox as
// `node -e <this file> node_modules/vite/bin/vite.js --host <host> --port <port> --strictPort --clearScreen false`
// (the arguments of Vite's command line, so the process reads like one; only --host and --port are used).
//
// The plugin injects a small script into index.html that reports uncaught errors, unhandled
// rejections and console.error calls to the endpoint POST <base>__chatbuilder/diagnostics of this
// server, and takes Vite's compile errors (the payload of the overlay and the vite:error HMR event)
// where the server sends them. The server maps positions through
// the module's source map, makes paths relative to the app root, coalesces identical reports and
// prints them as lines "@@chatbuilder-diagnostic <json>" on stdout, which the runtime reads.
// Everything here is bounded; the runtime bounds and validates again (the app's code runs in the
// same process and could print anything).
'use strict';
(async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const { pathToFileURL } = require('node:url');
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const host = arg('--host');
  const port = Number(arg('--port'));
  const root = process.cwd();
  // Fails closed: a preview is never served without its policy.
  const pagePolicy = process.env.CHATBUILDER_PAGE_POLICY;
  if (!pagePolicy) {
    console.error('Error: CHATBUILDER_PAGE_POLICY is not set; the preview is not started without its Content-Security-Policy');
    process.exit(1);
  }
  const bin = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const entry = path.join(root, 'node_modules', 'vite', 'dist', 'node', 'index.js');
  if (!fs.existsSync(bin) || !fs.existsSync(entry)) {
    console.error("Error: Cannot find module '" + bin + "'");
    process.exit(1);
  }
  const started = performance.now();
  const vite = await import(pathToFileURL(entry).href);
  // With CHOKIDAR_USEPOLLING (ViteDraftRuntime.Builder#pollFileChanges) Vite's own watcher polls;
  // otherwise this script's directory watcher feeds Vite's (see chatbuilderWatcher).
  const watching = process.env.CHOKIDAR_USEPOLLING ? null : chatbuilderWatcher(root);
  const server = await vite.createServer({
    // source tags and select mode (issue 16): source-tags.cjs and select-mode.cjs, loaded with this script
    plugins: [...(process.env.CHATBUILDER_DIAGNOSTICS === 'off' ? [] : [chatbuilderDiagnostics(root)]), chatbuilderSourceTags(root), chatbuilderSelectMode(), ...(watching ? [watching.plugin] : [])],
    // The preview is framed by the host's UI from another origin; the policy (core's AppPagePolicy,
    // from ViteDraftRuntime) keeps the page's requests on its own origin (Vite's modules and HMR
    // socket), never the host's API, and nosniff stops MIME sniffing.
    server: { host, port, strictPort: true, headers: {
      'Content-Security-Policy': pagePolicy,
      'X-Content-Type-Options': 'nosniff',
    } },
    clearScreen: false,
  });
  if (watching) await watching.ready(); // the initial scan, once Vite has called the plugin
  await server.listen();
  // the banner of Vite's command line, which hosts and logs look for
  server.config.logger.info('\n  VITE v' + vite.version + '  ready in ' + Math.ceil(performance.now() - started) + ' ms\n');
  server.printUrls();
})().catch((e) => {
  console.error('error when starting dev server:\n' + ((e && e.stack) || String(e)));
  process.exit(1);
});

function chatbuilderDiagnostics(root) {
  const PREFIX = '@@chatbuilder-diagnostic ';
  const ENDPOINT = '__chatbuilder/diagnostics';
  const KINDS = new Set(['compile_error', 'uncaught_error', 'unhandled_rejection', 'console_error']);
  const MAX_BODY = 256 * 1024;
  const MAX_BATCH = 200;
  const MAX_PENDING = 500;
  const MAX_MESSAGE = 2000;
  const MAX_STACK = 4000;
  const FLUSH_MS = 200;
  const path = require('node:path');
  let server = null;
  let base = '/';
  const pending = new Map();
  let timer = null;

  function cut(s, max) {
    s = typeof s === 'string' ? s : s == null ? '' : String(s);
    return s.length > max ? s.slice(0, max - 1) + '\u2026' : s;
  }

  // App paths relative to the root; the server's own URLs reduced to their path.
  function strip(s) {
    if (!s) return s;
    s = s.split('file://').join('');
    s = s.split(root + path.sep).join('').split(root).join('.');
    s = s.replace(/https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0)(?::\d+)?\//g, '/');
    s = s.replace(/\?(?:t|v)=[0-9a-zA-Z]+(?=[:)\s]|$)/g, '');
    return s;
  }

  function relative(file) {
    if (typeof file !== 'string' || !file) return null;
    file = file.split('?')[0];
    if (file.startsWith('file://')) file = file.slice(7);
    const abs = path.isAbsolute(file) ? file : path.join(root, file);
    const rel = path.relative(root, abs).split(path.sep).join('/');
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return rel;
  }

  function emit(rec) {
    const key = [rec.kind, rec.message, rec.file, rec.line, rec.column].join('\u0000');
    const had = pending.get(key);
    if (had) {
      had.count += rec.count;
    } else if (pending.size < MAX_PENDING) {
      pending.set(key, rec);
    }
    if (!timer) timer = setTimeout(flush, FLUSH_MS);
  }

  function flush() {
    timer = null;
    const out = [];
    for (const rec of pending.values()) out.push(PREFIX + JSON.stringify(rec));
    pending.clear();
    if (out.length) process.stdout.write(out.join('\n') + '\n');
  }

  // ---- source maps: the browser's positions are in the transformed module
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function vlq(segment) {
    const out = [];
    let value = 0;
    let shift = 0;
    for (let i = 0; i < segment.length; i++) {
      let digit = B64.indexOf(segment[i]);
      if (digit < 0) return out;
      const more = digit & 32;
      digit &= 31;
      value += digit * Math.pow(2, shift);
      if (more) {
        shift += 5;
      } else {
        out.push(value % 2 ? -Math.floor(value / 2) : Math.floor(value / 2));
        value = 0;
        shift = 0;
      }
    }
    return out;
  }

  // 0-based generated line/column to 0-based source index/line/column, or null
  function lookup(mappings, genLine, genCol) {
    let src = 0, line = 0, col = 0;
    let best = null, first = null;
    let l = 0, start = 0;
    while (l <= genLine && start <= mappings.length) {
      let end = mappings.indexOf(';', start);
      if (end < 0) end = mappings.length;
      let gc = 0;
      const segs = mappings.slice(start, end).split(',');
      for (const seg of segs) {
        if (!seg) continue;
        const v = vlq(seg);
        if (!v.length) continue;
        gc += v[0];
        if (v.length >= 4) {
          src += v[1];
          line += v[2];
          col += v[3];
          if (l === genLine) {
            const here = { src, line, col };
            if (!first) first = here;
            if (gc <= genCol) best = here;
          }
        }
      }
      l++;
      start = end + 1;
    }
    return best || first;
  }

  async function mapFrame(url, line, column) {
    let mod = null;
    try {
      mod = await server.moduleGraph.getModuleByUrl(url, false);
    } catch (e) {
      mod = null;
    }
    const file = mod && mod.file ? mod.file : url.startsWith('/@fs/') ? url.slice(4) : path.join(root, url.split('?')[0]);
    const map = mod && mod.transformResult && mod.transformResult.map;
    if (map && typeof map.mappings === 'string') {
      const pos = lookup(map.mappings, line - 1, Math.max(0, column - 1));
      if (pos) {
        let source = file;
        const sources = map.sources || [];
        if (typeof sources[pos.src] === 'string' && sources[pos.src]) {
          source = path.resolve(path.dirname(file), map.sourceRoot || '', sources[pos.src]);
        }
        return { file: relative(source) || relative(file), line: pos.line + 1, column: pos.col + 1 };
      }
    }
    return { file: relative(file), line, column };
  }

  // The first frame of a Chrome/Firefox stack in the app's own code (not a dependency, not Vite's).
  async function locate(stack) {
    if (typeof stack !== 'string') return null;
    const frame = /((?:https?:\/\/[^\s()/]+)?\/[^\s()]*?):(\d+):(\d+)\)?\s*$/;
    for (const raw of stack.split('\n').slice(0, 50)) {
      const m = frame.exec(raw.trim());
      if (!m) continue;
      let url = m[1].replace(/^https?:\/\/[^/]+/, '');
      const pathname = url.split('?')[0];
      if (pathname.includes('/node_modules/') || pathname.startsWith('/@') || pathname.startsWith(base + '@')
          || pathname.includes('/__chatbuilder/') || pathname === '/' || pathname === base
          || pathname.endsWith('.html')) {
        continue;
      }
      return mapFrame(url, Number(m[2]), Number(m[3]));
    }
    return null;
  }

  async function accept(r) {
    if (!r || typeof r !== 'object' || !KINDS.has(r.kind)) return;
    const count = Number.isInteger(r.count) && r.count > 0 ? Math.min(r.count, 1e9) : 1;
    const rec = { kind: r.kind, message: cut(strip(cut(r.message, 8 * MAX_MESSAGE)), MAX_MESSAGE) || '(no message)', count };
    let where = null;
    if (r.kind === 'compile_error') {
      const loc = r.loc && typeof r.loc === 'object' ? r.loc : {};
      const file = relative(loc.file || r.id);
      if (file) {
        where = { file, line: Number(loc.line) || undefined,
          column: Number.isFinite(Number(loc.column)) && loc.line ? Number(loc.column) + 1 : undefined };
      }
      const frame = strip(cut(r.frame, MAX_STACK));
      if (frame) rec.stack = frame;
    } else {
      where = await locate(r.stack);
      if (r.stack) rec.stack = cut(strip(cut(r.stack, 4 * MAX_STACK)), MAX_STACK);
    }
    if (where && where.file) {
      rec.file = where.file;
      if (Number.isInteger(where.line) && where.line > 0) rec.line = where.line;
      if (Number.isInteger(where.column) && where.column > 0 && rec.line) rec.column = where.column;
    }
    emit(rec);
  }

  function sameOrigin(req) {
    const origin = req.headers.origin;
    if (origin) {
      try {
        if (new URL(origin).host !== req.headers.host) return false;
      } catch (e) {
        return false;
      }
    }
    const site = req.headers['sec-fetch-site'];
    return !site || site === 'same-origin';
  }

  function clientScript() {
    return `(() => {
  if (window.__chatbuilderDiagnostics) return;
  const endpoint = ${JSON.stringify(base + ENDPOINT)};
  const post = window.fetch.bind(window);
  const queue = new Map();
  let timer = null;
  let busy = false;
  const cut = (s, n) => (s.length > n ? s.slice(0, n) : s);
  const text = (v) => {
    if (v instanceof Error) return (v.name ? v.name + ': ' : '') + v.message;
    if (typeof v === 'string') return v;
    try { return JSON.stringify(v) ?? String(v); } catch (e) { return String(v); }
  };
  const send = () => {
    timer = null;
    const batch = Array.from(queue.values());
    queue.clear();
    if (!batch.length) return;
    const body = JSON.stringify(batch);
    post(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: body.length < 60000 })
      .catch(() => {});
  };
  const report = (r) => {
    if (busy) return;
    busy = true;
    try {
      r.message = cut(String(r.message ?? ''), 4000);
      if (typeof r.stack === 'string') r.stack = cut(r.stack, 8000);
      const key = r.kind + '\\u0000' + r.message + '\\u0000' + (r.stack || '') + '\\u0000' + JSON.stringify(r.loc || null);
      const had = queue.get(key);
      if (had) had.count++;
      else if (queue.size < 100) queue.set(key, Object.assign(r, { count: 1 }));
      if (!timer) timer = setTimeout(send, 150);
    } catch (e) {
      // never disturb the app
    } finally {
      busy = false;
    }
  };
  window.__chatbuilderDiagnostics = report;
  window.addEventListener('error', (ev) => {
    if (!(ev instanceof ErrorEvent)) return;
    const err = ev.error;
    report({ kind: 'uncaught_error', message: err instanceof Error ? text(err) : ev.message || text(err),
      stack: err && typeof err.stack === 'string' ? err.stack
        : ev.filename ? 'at ' + ev.filename + ':' + ev.lineno + ':' + ev.colno : undefined });
  });
  window.addEventListener('unhandledrejection', (ev) => {
    const reason = ev.reason;
    report({ kind: 'unhandled_rejection', message: text(reason),
      stack: reason && typeof reason.stack === 'string' ? reason.stack : undefined });
  });
  const original = console.error;
  console.error = function (...args) {
    if (!busy) {
      const err = args.find((a) => a instanceof Error);
      report({ kind: 'console_error', message: args.map(text).join(' '),
        stack: err && typeof err.stack === 'string' ? err.stack : new Error().stack });
    }
    return original.apply(this, args);
  };
})();`;
  }

  // What Vite sends its clients as {type: 'error'} is what the overlay shows and what fires the
  // vite:error event in the page; taken here, on the server, it does not depend on the page's
  // socket (a socket of a page navigated away may still look open behind a bridge, and Vite then
  // sends the error there instead of buffering it for the next page).
  function watchCompileErrors(s) {
    const channel = s.environments && s.environments.client && s.environments.client.hot ? s.environments.client.hot : s.ws;
    if (!channel || typeof channel.send !== 'function') return;
    const send = channel.send;
    channel.send = function (...args) {
      const payload = args[0];
      if (payload && typeof payload === 'object' && payload.type === 'error' && payload.err) {
        const err = payload.err;
        accept({ kind: 'compile_error', message: String(err.message || 'compile error'), frame: err.frame, id: err.id,
          loc: err.loc, count: 1 }).catch(() => {});
      }
      return send.apply(this, args);
    };
  }

  return {
    name: 'chatbuilder:preview-diagnostics',
    apply: 'serve',
    configResolved(config) {
      base = config.base && config.base.startsWith('/') ? (config.base.endsWith('/') ? config.base : config.base + '/') : '/';
    },
    configureServer(s) {
      server = s;
      watchCompileErrors(s);
      s.middlewares.use((req, res, next) => {
        const url = (req.url || '').split('?')[0];
        if (url !== base + ENDPOINT && url !== '/' + ENDPOINT) {
          next();
          return;
        }
        if (req.method !== 'POST' || !String(req.headers['content-type'] || '').startsWith('application/json')
            || !sameOrigin(req)) {
          res.statusCode = 403;
          res.end();
          return;
        }
        const chunks = [];
        let size = 0;
        let refused = false;
        req.on('data', (chunk) => {
          size += chunk.length;
          if (size > MAX_BODY) {
            refused = true; // read on without keeping it, so the client gets its answer
            chunks.length = 0;
            return;
          }
          chunks.push(chunk);
        });
        req.on('end', async () => {
          if (refused) {
            res.statusCode = 413;
            res.end();
            return;
          }
          res.statusCode = 204;
          res.end();
          let batch;
          try {
            batch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch (e) {
            return;
          }
          if (!Array.isArray(batch)) return;
          for (const r of batch.slice(0, MAX_BATCH)) {
            try {
              await accept(r);
            } catch (e) {
              // a report that cannot be read is dropped
            }
          }
        });
      });
    },
    handleHotUpdate(ctx) {
      // A changed file gets compiled again: its old compile errors are gone or come back
      const file = relative(ctx.file);
      if (file) {
        flush();
        process.stdout.write(PREFIX + JSON.stringify({ type: 'changed', file }) + '\n');
      }
    },
    transformIndexHtml() {
      return [
        { tag: 'script', children: clientScript(), injectTo: 'head-prepend' },
      ];
    },
  };
}

// ---- file watching without polling
// Vite's watcher (chokidar 3) watches every file with its own fs.watch and, on Linux, re-watches a
// file whose inode changed only after a stat; a file replaced again in between (the sandbox writes a
// temporary file and renames it over the target) is missed, and chokidar drops a second "change"
// of a path within 50 ms (no trailing event) and raw events within 5 ms, so the last of rapid edits
// can be lost. This watcher watches directories only (a directory's inotify watch survives any
// replacement of its entries), coalesces events per path within one turn of the event loop, and
// compares each path's lstat (inode, size, mtime, ctime in nanoseconds) with the last one it
// reported: every change after the event is seen by a stat made after it, so none is dropped. A
// new directory (created or renamed in) is watched before it is listed. Vite's own watcher is
// replaced by its no-op one (server.watch = null) and this one emits add/change/unlink on it.
function chatbuilderWatcher(root) {
  const fs = require('node:fs');
  const path = require('node:path');
  const IGNORED_NAMES = new Set(['node_modules', '.git', 'test-results']); // Vite's defaults
  const TEMP_PREFIX = '.chatbuilder-tmp-'; // the sandbox's in-flight files (sandbox-local ConfinedFiles)
  const files = new Map(); // absolute path -> signature
  const dirs = new Map(); // absolute path -> { watcher, ino }
  const queue = new Set();
  const relist = new Set();
  let scheduled = false;
  let target = null; // the current server's watcher (a new one after each restart)
  let ignoredDirs = [];
  let scanned = null; // the initial scan, started by configureServer

  function ignored(abs, name) {
    if (IGNORED_NAMES.has(name.toLowerCase()) || name.startsWith(TEMP_PREFIX)) return true;
    return ignoredDirs.some((d) => abs === d || abs.startsWith(d + path.sep));
  }

  function signature(st) {
    return st.ino + ':' + st.size + ':' + st.mtimeNs + ':' + st.ctimeNs;
  }

  function emit(event, file) {
    if (!target) return;
    target.emit(event, file);
    target.emit('all', event, file);
  }

  // All checks run one at a time on one promise chain, so two checks of a path never interleave
  // (an older stat can never overwrite a newer one, nor an unlink follow the add that replaced it).
  let tail = Promise.resolve();
  function serially(fn) {
    tail = tail.then(fn).catch((e) => process.stderr.write('chatbuilder watcher: ' + e.message + '\n'));
    return tail;
  }

  function schedule(abs) {
    queue.add(abs);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => serially(drain));
    }
  }

  async function drain() {
    scheduled = false;
    const batch = Array.from(queue);
    queue.clear();
    for (const abs of batch) {
      try {
        await check(abs, false, true);
      } catch (e) {
        process.stderr.write('chatbuilder watcher: ' + e.message + '\n');
      }
    }
  }

  function forgetDir(dir) {
    if (!dirs.has(dir)) return; // files are known only below a watched directory
    for (const [d, w] of dirs) {
      if (d === dir || d.startsWith(dir + path.sep)) {
        w.watcher.close();
        dirs.delete(d);
      }
    }
    for (const f of Array.from(files.keys())) {
      if (f.startsWith(dir + path.sep)) {
        files.delete(f);
        emit('unlink', f);
      }
    }
  }

  function forgetFile(abs) {
    if (files.delete(abs)) emit('unlink', abs);
  }

  async function lstat(abs) {
    try {
      return await fs.promises.lstat(abs, { bigint: true });
    } catch (e) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw e;
    }
  }

  // initial: record without emitting (Vite's ignoreInitial); event: the path was named by an event
  async function check(abs, initial, event) {
    const name = path.basename(abs);
    if (abs !== root && ignored(abs, name)) return;
    let st = await lstat(abs);
    if (st && st.isSymbolicLink()) {
      try {
        st = await fs.promises.stat(abs, { bigint: true });
        if (st.isDirectory()) st = null; // symlinked directories are not followed
      } catch (e) {
        st = null;
      }
    }
    if (!st) {
      forgetDir(abs);
      forgetFile(abs);
      return;
    }
    if (st.isDirectory()) {
      forgetFile(abs);
      const had = dirs.get(abs);
      if (had && event) {
        // Named by an event of its parent: created, deleted, renamed or replaced. A directory deleted
        // and made again can get the same inode number, and the old watch is dead then: watch the
        // tree again and compare what it holds with what was reported.
        relist.delete(abs);
        await rewatch(abs, st.ino);
        return;
      }
      if (had && had.ino === st.ino) {
        if (relist.delete(abs)) await list(abs, false);
        return;
      }
      if (had) forgetDir(abs); // replaced by another directory: its files are gone or come again below
      await watchDir(abs, st.ino, initial);
      return;
    }
    if (!st.isFile()) return;
    forgetDir(abs);
    const sig = signature(st);
    const had = files.get(abs);
    if (had === sig) return;
    files.set(abs, sig);
    if (!initial) emit(had === undefined ? 'add' : 'change', abs);
  }

  // Closes the watches of dir and below (keeping the files' signatures), watches and lists the tree
  // again: only what differs from the last report is emitted.
  async function rewatch(dir, ino) {
    for (const [d, w] of Array.from(dirs)) {
      if (d === dir || d.startsWith(dir + path.sep)) {
        w.watcher.close();
        dirs.delete(d);
      }
    }
    await watchDir(dir, ino, false);
    for (const f of Array.from(files.keys())) {
      if (f.startsWith(dir + path.sep) && !dirs.has(path.dirname(f))) forgetFile(f);
    }
  }

  async function watchDir(dir, ino, initial) {
    let watcher;
    try {
      // watched before it is listed: an entry added while listing is reported by the watch
      watcher = fs.watch(dir, { persistent: true }, (event, name) => {
        if (name) schedule(path.join(dir, name.toString()));
        else rescan(dir);
      });
    } catch (e) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return;
      if (e.code === 'ENOSPC') {
        process.stderr.write('chatbuilder watcher: cannot watch ' + path.relative(root, dir)
          + ': the inotify watch limit (fs.inotify.max_user_watches) is reached; its changes are not seen\n');
        return;
      }
      throw e;
    }
    watcher.on('error', () => {
      // the watch is broken (its directory went away): forget what was below it, then look again
      serially(() => {
        const w = dirs.get(dir);
        if (w && w.watcher === watcher) forgetDir(dir);
        else watcher.close();
      });
      schedule(dir);
    });
    dirs.set(dir, { watcher, ino });
    await list(dir, initial);
  }

  async function list(dir, initial) {
    let names;
    try {
      names = await fs.promises.readdir(dir);
    } catch (e) {
      schedule(dir);
      return;
    }
    const present = new Set(names.map((n) => path.join(dir, n)));
    for (const f of Array.from(files.keys())) {
      if (path.dirname(f) === dir && !present.has(f)) forgetFile(f);
    }
    for (const d of Array.from(dirs.keys())) {
      if (path.dirname(d) === dir && !present.has(d)) forgetDir(d);
    }
    for (const abs of present) await check(abs, initial);
  }

  // an event without a name (the kernel's queue overflowed): list the directory again
  function rescan(dir) {
    relist.add(dir);
    schedule(dir);
  }

  const plugin = {
    name: 'chatbuilder:watcher',
    apply: 'serve',
    configResolved(config) {
      // Vite then uses its no-op watcher, which this one feeds
      config.server.watch = null;
      ignoredDirs = [config.cacheDir, path.resolve(config.root, config.build.outDir)]
        .filter((d) => typeof d === 'string' && d && d !== root)
        .map((d) => path.resolve(d));
    },
    configureServer(s) {
      target = s.watcher;
      if (!scanned) scanned = serially(() => check(root, true));
    },
  };
  // Resolves at once if Vite never called configureServer (whatever node_modules/vite is, it runs)
  const ready = () => scanned || Promise.resolve();
  return { plugin, ready };
}
