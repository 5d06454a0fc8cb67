// A small syntax highlighter for the code view and the diff: JavaScript/TypeScript/JSX, CSS, HTML
// and JSON. It only splits text into classed tokens; rendering puts each token into a span with
// textContent, so file content is never parsed as HTML (a file holding </script> or markup shows
// as text).

const JS_KEYWORDS = new Set(('abstract as async await break case catch class const continue debugger default delete do else enum '
  + 'export extends false finally for from function get if implements import in instanceof interface let new null of '
  + 'private protected public readonly return set static super switch this throw true try type typeof undefined var '
  + 'void while with yield').split(' '));

// Each rule: [token class or null for plain, sticky regex]. The first rule that matches at a position wins.
const RULES = {
  js: [
    ['comment', /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/y],
    ['string', /"(?:[^"\\\n]|\\[\s\S])*"?|'(?:[^'\\\n]|\\[\s\S])*'?|`(?:[^`\\]|\\[\s\S])*`?/y],
    ['number', /(?:0[xXbBoO][\da-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?n?)(?![\w$])/y],
    ['tag', /<\/?[A-Za-z][\w.-]*/y],
    ['word', /[A-Za-z_$][\w$]*/y],
    [null, /\s+|[^\sA-Za-z_$\d"'`/<]+|[\s\S]/y],
  ],
  css: [
    ['comment', /\/\*[\s\S]*?(?:\*\/|$)/y],
    ['string', /"(?:[^"\\\n]|\\[\s\S])*"?|'(?:[^'\\\n]|\\[\s\S])*'?/y],
    ['keyword', /@[\w-]+|!important/y],
    ['number', /#[\da-fA-F]{3,8}\b|-?\d*\.?\d+(?:%|[a-zA-Z]+)?/y],
    ['property', /[\w-]+(?=\s*:[^{};]*;)/y],
    [null, /\s+|[\w-]+|[\s\S]/y],
  ],
  html: [
    ['comment', /<!--[\s\S]*?(?:-->|$)/y],
    ['keyword', /<!doctype[^>]*>?/iy],
    ['tag', /<\/?[A-Za-z][\w.-]*/y],
    ['string', /"[^"]*"?|'[^']*'?/y],
    ['property', /[\w:@.-]+(?==)/y],
    [null, /\s+|[^<>"'=\s]+|[\s\S]/y],
  ],
  json: [
    ['property', /"(?:[^"\\\n]|\\[\s\S])*"(?=\s*:)/y],
    ['string', /"(?:[^"\\\n]|\\[\s\S])*"?/y],
    ['number', /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
    ['keyword', /\b(?:true|false|null)\b/y],
    [null, /\s+|[\s\S]/y],
  ],
};

const EXTENSIONS = {
  js: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'js', tsx: 'js', mts: 'js', cts: 'js', vue: 'html', svelte: 'html',
  css: 'css', scss: 'css', less: 'css', html: 'html', htm: 'html', svg: 'html', xml: 'html', json: 'json', map: 'json',
};

/** The highlighter's language for a path ('js', 'css', 'html', 'json'), or 'plain'. */
export function languageOf(path) {
  const name = String(path || '').split('/').pop().toLowerCase();
  const dot = name.lastIndexOf('.');
  return (dot >= 0 && EXTENSIONS[name.slice(dot + 1)]) || 'plain';
}

/** Splits text into [class | null, text] tokens; their texts joined are exactly the input. */
export function tokenize(text, language) {
  const rules = RULES[language];
  if (!rules) return [[null, text]];
  const out = [];
  let i = 0;
  while (i < text.length) {
    let matched = false;
    for (const [cls, re] of rules) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (!m || m[0].length === 0) continue;
      let kind = cls;
      if (kind === 'word') kind = JS_KEYWORDS.has(m[0]) ? 'keyword' : null;
      push(out, kind, m[0]);
      i += m[0].length;
      matched = true;
      break;
    }
    if (!matched) { push(out, null, text[i]); i++; }
  }
  return out;
}

function push(out, cls, text) {
  const last = out[out.length - 1];
  if (last && last[0] === cls) last[1] += text;
  else out.push([cls, text]);
}

/**
 * Tokens split into lines: an array (one entry per line) of token arrays, newlines left out. A
 * token spanning lines (a block comment) keeps its class on each line.
 */
export function tokenLines(text, language) {
  const lines = [[]];
  for (const [cls, t] of tokenize(text, language)) {
    const parts = t.split('\n');
    parts.forEach((part, n) => {
      if (n > 0) lines.push([]);
      if (part) lines[lines.length - 1].push([cls, part]);
    });
  }
  return lines;
}

/** Appends the tokens to `parent` as text nodes and spans (never as HTML). */
export function appendTokens(parent, tokens) {
  for (const [cls, t] of tokens) {
    if (!cls) {
      parent.appendChild(document.createTextNode(t));
    } else {
      const span = document.createElement('span');
      span.className = `tok-${cls}`;
      span.textContent = t;
      parent.appendChild(span);
    }
  }
}

/**
 * Renders text into `pre` as numbered lines (span.line[data-line]) of highlighted tokens; returns
 * the line elements.
 */
export function renderCode(pre, text, language) {
  pre.textContent = '';
  const lines = [];
  tokenLines(text, language).forEach((tokens, n) => {
    const line = document.createElement('span');
    line.className = 'line';
    line.dataset.line = String(n + 1);
    appendTokens(line, tokens);
    line.appendChild(document.createTextNode('\n'));
    pre.appendChild(line);
    lines.push(line);
  });
  return lines;
}
