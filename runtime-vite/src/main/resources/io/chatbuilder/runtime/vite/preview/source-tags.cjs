// ChatBuilder source tags: a dev-only Vite plugin (serve only, never in builds) that adds
// data-cb-source="<app-relative file>:<line>:<column>" (1-based, of the opening tag's '<') to the
// host elements of JSX/TSX, Vue SFC templates, Svelte components and the app's .html pages, so the
// preview's select mode (select-mode.cjs) can tell where a clicked element comes from.
// Loaded with dev-server.cjs (concatenated into the same `node -e` script by ViteDraftRuntime).
//
// It parses with the parsers the app already has, resolved from the app root (@babel/parser,
// vue/compiler-sfc, svelte/compiler); plain HTML is scanned here. It edits with the app's
// magic-string when there is one, else splices itself; either way it returns a source map, so later
// plugins' maps and the diagnostics' positions stay those of the app's source. A file it cannot
// parse (or whose parser is missing) is returned untouched: the app's own compiler reports the error.
function chatbuilderSourceTags(root) {
  const fs = require('node:fs');
  const path = require('node:path');
  const { createRequire } = require('node:module');
  const ATTR = 'data-cb-source';
  const MAX_SOURCE = 2 * 1024 * 1024;
  const appRequire = createRequire(path.join(root, 'package.json'));
  const loaded = new Map();
  let jsxInJs = () => false;

  function optional(name) {
    if (!loaded.has(name)) {
      let mod = null;
      try {
        mod = appRequire(name);
      } catch (e) {
        mod = null;
      }
      loaded.set(name, mod);
    }
    return loaded.get(name);
  }

  // Positions are only right for the file as written: code another plugin changed first (or a file
  // changed again since Vite read it) is left alone; its next version is tagged when it comes
  function asWritten(code, file) {
    try {
      return fs.readFileSync(file, 'utf8') === code;
    } catch (err) {
      return false;
    }
  }

  function relative(file) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel) || rel.split('/').includes('node_modules')) return null;
    return rel;
  }

  // ---- lines and columns of offsets (1-based, UTF-16 code units like the parsers)
  function lineStarts(code) {
    const starts = [0];
    for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) starts.push(i + 1);
    return starts;
  }
  function position(starts, offset) {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  }

  // ---- attribute text: markup attributes are entity-escaped ({ } too: Svelte reads them as code)
  function markupAttribute(value) {
    return ' ' + ATTR + '="' + value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
      .replace(/{/g, '&#123;').replace(/}/g, '&#125;') + '"';
  }
  function jsxAttribute(value) {
    return /^[A-Za-z0-9_\-./@+~:, ]*$/.test(value) ? ' ' + ATTR + '="' + value + '"' : ' ' + ATTR + '={' + JSON.stringify(value) + '}';
  }

  // ---- edits: [{ at, text }] inserted into code, with a source map back to code
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function vlq(n) {
    let v = n < 0 ? (-n << 1) | 1 : n << 1;
    let out = '';
    do {
      let digit = v & 31;
      v >>>= 5;
      if (v > 0) digit |= 32;
      out += B64[digit];
    } while (v > 0);
    return out;
  }
  const WORD = /[A-Za-z0-9_$]/;
  function splice(code, edits, id) {
    // one segment per token start (and after each insertion), so columns survive later maps
    edits.sort((a, b) => a.at - b.at);
    let out = '';
    const lines = [];
    let segs = [];
    let genCol = 0, prevGenCol = 0, prevLine = 0, prevCol = 0, origLine = 0, origCol = 0;
    let e = 0;
    const seg = (line, col) => {
      segs.push(vlq(genCol - prevGenCol) + 'A' + vlq(line - prevLine) + vlq(col - prevCol));
      prevGenCol = genCol;
      prevLine = line;
      prevCol = col;
    };
    let mark = 0;
    for (let i = 0; i <= code.length; i++) {
      let inserted = false;
      while (e < edits.length && edits[e].at === i) {
        out += code.slice(mark, i);
        mark = i;
        out += edits[e].text;
        genCol += edits[e].text.length;
        e++;
        inserted = true;
      }
      if (i === code.length) break;
      const ch = code[i];
      if (ch === '\n') {
        genCol += 1;
        origLine++;
        origCol = 0;
        lines.push(segs.join(','));
        segs = [];
        genCol = 0;
        prevGenCol = 0;
        continue;
      }
      if (inserted || origCol === 0 || !WORD.test(ch) || !WORD.test(code[i - 1])) seg(origLine, origCol);
      genCol++;
      origCol++;
    }
    out += code.slice(mark);
    lines.push(segs.join(','));
    return {
      code: out,
      map: { version: 3, file: path.basename(id), sources: [id], sourcesContent: [code], names: [], mappings: lines.join(';') },
    };
  }
  function apply(code, edits, id) {
    if (!edits.length) return null;
    const MagicString = optional('magic-string');
    const Ctor = MagicString && (MagicString.default || MagicString.MagicString || MagicString);
    if (typeof Ctor === 'function') {
      try {
        const s = new Ctor(code);
        for (const ed of edits) s.appendLeft(ed.at, ed.text);
        return { code: s.toString(), map: s.generateMap({ source: id, includeContent: true, hires: 'boundary' }) };
      } catch (err) {
        // an unexpected magic-string: splice here
      }
    }
    return splice(code, edits, id);
  }

  // ---- JSX / TSX (@babel/parser)
  function jsxEdits(code, file, rel, typescript) {
    const babel = optional('@babel/parser');
    if (!babel || typeof babel.parse !== 'function') return null;
    let ast;
    try {
      ast = babel.parse(code, {
        sourceType: 'module', sourceFilename: file, errorRecovery: false,
        allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true, allowImportExportEverywhere: true,
        plugins: typescript ? ['jsx', 'typescript'] : ['jsx'],
      });
    } catch (err) {
      return null; // the app's compiler reports it
    }
    const edits = [];
    const stack = [ast.program];
    while (stack.length) {
      const node = stack.pop();
      if (!node || typeof node !== 'object') continue;
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
        continue;
      }
      if (node.type === 'JSXOpeningElement' && node.loc) {
        const name = node.name;
        const host = name && (name.type === 'JSXIdentifier' ? /^[a-z]/.test(name.name) : name.type === 'JSXNamespacedName');
        const tagged = (node.attributes || []).some((a) => a.type === 'JSXAttribute' && a.name && a.name.name === ATTR);
        if (host && !tagged && typeof name.end === 'number') {
          edits.push({ at: name.end, text: jsxAttribute(rel + ':' + node.loc.start.line + ':' + (node.loc.start.column + 1)) });
        }
      }
      for (const key of Object.keys(node)) {
        if (key === 'loc' || key === 'extra' || key.endsWith('Comments') || key === 'comments' || key === 'tokens') continue;
        const v = node[key];
        if (v && typeof v === 'object') stack.push(v);
      }
    }
    return edits;
  }

  // Whether the app compiles JSX in .js/.ts files: esbuild's loader set to jsx/tsx and its include
  // naming them (Vite's default include has no .js); RegExps and globs as Vite takes them
  function jsxInJsFrom(config) {
    const esbuild = config.esbuild;
    if (!esbuild || typeof esbuild !== 'object' || (esbuild.loader !== 'jsx' && esbuild.loader !== 'tsx')) return () => false;
    const list = (v) => (Array.isArray(v) ? v : v == null ? [] : [v]);
    const glob = (g) => new RegExp('(^|/)' + g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/?/g, '\u0000')
      .replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\u0000/g, '.*') + '$');
    const tests = (v) => list(v).map((t) => (t instanceof RegExp ? t : typeof t === 'string' ? glob(t) : null)).filter(Boolean);
    const include = tests(esbuild.include);
    const exclude = tests(esbuild.exclude);
    const hit = (res, file) => res.some((re) => {
      re.lastIndex = 0;
      return re.test(file);
    });
    return (file) => {
      const rel = path.relative(root, file).split(path.sep).join('/');
      return (hit(include, file) || hit(include, rel)) && !hit(exclude, file) && !hit(exclude, rel);
    };
  }

  // ---- Vue SFC templates (vue/compiler-sfc)
  function vueEdits(code, file, rel) {
    const sfc = optional('vue/compiler-sfc') || optional('@vue/compiler-sfc');
    if (!sfc || typeof sfc.parse !== 'function') return null;
    let parsed;
    try {
      parsed = sfc.parse(code, { filename: file, sourceMap: false });
    } catch (err) {
      return null;
    }
    const template = parsed.descriptor && parsed.descriptor.template;
    if ((parsed.errors && parsed.errors.length) || !template || !template.ast || template.src
        || (template.lang && template.lang !== 'html')) {
      return null;
    }
    // errors the template compiler finds beyond the parser's (a broken expression) would show the
    // inserted attributes in their code frame: such a file stays untouched
    if (typeof sfc.compileTemplate === 'function') {
      try {
        const checked = sfc.compileTemplate({ source: template.content, filename: file, id: 'chatbuilder-source-tags' });
        if (checked.errors && checked.errors.length) return null;
      } catch (err) {
        return null;
      }
    }
    const edits = [];
    const walk = (node) => {
      if (!node || typeof node !== 'object') return;
      // NodeTypes.ELEMENT with ElementTypes.ELEMENT (not COMPONENT, SLOT or TEMPLATE)
      if (node.type === 1 && node.tagType === 0 && node.loc && node.loc.start
          && !(node.props || []).some((p) => p.type === 6 && p.name === ATTR)) {
        const at = node.loc.start.offset + 1 + node.tag.length;
        if (code.slice(node.loc.start.offset, at) === '<' + node.tag) {
          edits.push({ at, text: markupAttribute(rel + ':' + node.loc.start.line + ':' + node.loc.start.column) });
        }
      }
      for (const child of node.children || []) walk(child);
      if (node.branches) for (const b of node.branches) walk(b);
    };
    for (const child of template.ast.children || []) walk(child);
    return edits;
  }

  // ---- Svelte components (svelte/compiler)
  function svelteEdits(code, file, rel) {
    const svelte = optional('svelte/compiler');
    if (!svelte || typeof svelte.parse !== 'function') return null;
    const modern = !/^[0-4]\./.test(String(svelte.VERSION || ''));
    let ast;
    try {
      ast = modern ? svelte.parse(code, { modern: true, filename: file }) : svelte.parse(code, { filename: file });
    } catch (err) {
      return null;
    }
    // the same for what only the compiler's analysis finds (generate: false: no code is produced)
    if (modern && typeof svelte.compile === 'function') {
      try {
        svelte.compile(code, { filename: file, generate: false, dev: true });
      } catch (err) {
        return null;
      }
    }
    const hostType = modern ? 'RegularElement' : 'Element';
    const starts = lineStarts(code);
    const edits = [];
    const seen = new Set();
    const stack = [modern ? ast.fragment : ast.html];
    while (stack.length) {
      const node = stack.pop();
      if (!node || typeof node !== 'object' || seen.has(node)) continue;
      seen.add(node);
      if (Array.isArray(node)) {
        for (const n of node) stack.push(n);
        continue;
      }
      if (node.type === hostType && typeof node.name === 'string' && !node.name.includes(':')
          && typeof node.start === 'number' && code.slice(node.start, node.start + 1 + node.name.length) === '<' + node.name
          && !(node.attributes || []).some((a) => a && a.name === ATTR)) {
        const p = position(starts, node.start);
        edits.push({ at: node.start + 1 + node.name.length, text: markupAttribute(rel + ':' + p.line + ':' + p.column) });
      }
      for (const key of Object.keys(node)) {
        if (key === 'metadata' || key === 'expression' || key === 'parent') continue;
        const v = node[key];
        if (v && typeof v === 'object') stack.push(v);
      }
    }
    return edits;
  }

  // ---- plain HTML: a small scanner (comments, doctype, raw-text elements, quoted attributes).
  // Only elements that render are tagged: not html, head or what is in head, nor script, style, template.
  const RAW = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext', 'noscript']);
  const UNTAGGED = new Set(['html', 'head', 'body', 'script', 'style', 'template', 'meta', 'link', 'title', 'base', 'noscript']);
  function htmlEdits(html, rel) {
    const starts = lineStarts(html);
    const edits = [];
    let inHead = false;
    let i = 0;
    while (i < html.length) {
      const lt = html.indexOf('<', i);
      if (lt < 0) break;
      if (html.startsWith('<!--', lt)) {
        const end = html.indexOf('-->', lt + 4);
        if (end < 0) return null;
        i = end + 3;
        continue;
      }
      if (html[lt + 1] === '!' || html[lt + 1] === '?') {
        const end = html.indexOf('>', lt);
        if (end < 0) return null;
        i = end + 1;
        continue;
      }
      const closing = html[lt + 1] === '/';
      const m = /^[A-Za-z][^\s/>]*/.exec(html.slice(lt + (closing ? 2 : 1), lt + 200));
      if (!m) {
        i = lt + 1;
        continue;
      }
      const name = m[0].toLowerCase();
      // the end of the tag: quoted attribute values may hold '>'
      let j = lt + (closing ? 2 : 1) + m[0].length;
      let quote = null;
      for (; j < html.length; j++) {
        const c = html[j];
        if (quote) {
          if (c === quote) quote = null;
        } else if (c === '"' || c === "'") {
          quote = c;
        } else if (c === '>') {
          break;
        }
      }
      if (j >= html.length) return null;
      if (closing) {
        if (name === 'head') inHead = false;
        i = j + 1;
        continue;
      }
      if (name === 'head') inHead = true;
      if (name === 'body') inHead = false;
      const attrs = html.slice(lt + 1 + m[0].length, j);
      if (!inHead && !UNTAGGED.has(name) && !new RegExp('(^|\\s)' + ATTR + '(\\s|=|/|$)', 'i').test(attrs)) {
        const p = position(starts, lt);
        edits.push({ at: lt + 1 + m[0].length, text: markupAttribute(rel + ':' + p.line + ':' + p.column) });
      }
      i = j + 1;
      if (RAW.has(name) && !/\/\s*$/.test(attrs)) {
        const end = html.toLowerCase().indexOf('</' + name, i);
        if (end < 0) return null;
        i = end;
      }
    }
    return edits;
  }

  return {
    name: 'chatbuilder:source-tags',
    apply: 'serve',
    enforce: 'pre',
    configResolved(config) {
      jsxInJs = jsxInJsFrom(config);
    },
    transform: {
      // order 'pre' too: before the framework plugins' own 'pre' plugins (plugin-react's Babel,
      // vite-plugin-svelte's preprocess), so the code is the file as written
      order: 'pre',
      handler(code, id) {
        if (typeof code !== 'string' || code.length > MAX_SOURCE || id.startsWith('\0') || id.includes('?')) return null;
        const file = id;
        const rel = path.isAbsolute(file) ? relative(file) : null;
        if (!rel || !/\.(?:[jt]sx|m?[jt]s|vue|svelte)$/.test(file) || !asWritten(code, file)) return null;
        let edits = null;
        try {
          if (/\.[jt]sx$/.test(file)) {
            edits = jsxEdits(code, file, rel, file.endsWith('.tsx'));
          } else if (/\.m?[jt]s$/.test(file)) {
            if (code.includes('<') && jsxInJs(file)) edits = jsxEdits(code, file, rel, /\.m?ts$/.test(file));
          } else if (file.endsWith('.vue')) {
            edits = vueEdits(code, file, rel);
          } else if (file.endsWith('.svelte')) {
            edits = svelteEdits(code, file, rel);
          }
        } catch (err) {
          edits = null; // never disturb the app's own compile
        }
        return edits && edits.length ? apply(code, edits, file) : null;
      },
    },
    transformIndexHtml: {
      order: 'pre',
      handler(html, ctx) {
        const file = ctx && ctx.filename;
        const rel = typeof file === 'string' && path.isAbsolute(file) ? relative(file) : null;
        if (!rel || typeof html !== 'string' || html.length > MAX_SOURCE || !asWritten(html, file)) return html;
        let edits = null;
        try {
          edits = htmlEdits(html, rel);
        } catch (err) {
          edits = null;
        }
        if (!edits || !edits.length) return html;
        edits.sort((a, b) => a.at - b.at);
        let out = '';
        let mark = 0;
        for (const ed of edits) {
          out += html.slice(mark, ed.at) + ed.text;
          mark = ed.at;
        }
        return out + html.slice(mark);
      },
    },
  };
}
