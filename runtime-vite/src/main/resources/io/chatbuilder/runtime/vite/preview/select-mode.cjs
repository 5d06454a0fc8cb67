// ChatBuilder select mode: a dev-only Vite plugin (serve only) that injects a small script into the
// app's pages. The page embedding the preview (the studio) turns it on and off with
//   iframe.contentWindow.postMessage({ type: 'chatbuilder:select-mode', on: true | false }, '*')
// While on, hovering outlines the nearest element carrying data-cb-source (source-tags.cjs), and a
// click on it, kept from the app (pointer, mouse and click events are stopped before the app's own
// listeners), is posted to the embedding page:
//   { type: 'chatbuilder:element-selected', file, line, column, tag, text }
// (file app-relative, line and column 1-based, tag lower case, text the element's text with
// whitespace collapsed, at most 200 characters), to the origin that turned select mode on. Each
// select-mode message is acknowledged with { type: 'chatbuilder:select-mode-changed', on }.
// Loaded with dev-server.cjs (concatenated into the same `node -e` script by ViteDraftRuntime).
function chatbuilderSelectMode() {
  return {
    name: 'chatbuilder:select-mode',
    apply: 'serve',
    transformIndexHtml() {
      return [{ tag: 'script', children: '(' + chatbuilderSelectModeClient.toString() + ')();', injectTo: 'head-prepend' }];
    },
  };
}

// Runs in the browser (its source is injected as is): nothing here may refer to the server's scope.
function chatbuilderSelectModeClient() {
  if (window.__chatbuilderSelectMode) return;
  window.__chatbuilderSelectMode = true;
  const ATTR = 'data-cb-source';
  const MAX_TEXT = 200;
  const BLOCKED = ['pointerdown', 'pointerup', 'mousedown', 'mouseup', 'click', 'dblclick', 'auxclick', 'contextmenu',
    'touchstart', 'touchend'];
  let on = false;
  let replyTo = '*';
  let box = null;
  let style = null;
  let current = null;

  const sourceOf = (el) => {
    const m = /^(.+):(\d+):(\d+)$/.exec(el.getAttribute(ATTR) || '');
    return m ? { file: m[1], line: Number(m[2]), column: Number(m[3]) } : null;
  };
  const nearest = (ev) => {
    const chain = typeof ev.composedPath === 'function' ? ev.composedPath() : [ev.target];
    for (const node of chain) {
      if (node && node.nodeType === 1 && node.hasAttribute(ATTR) && sourceOf(node)) return node;
    }
    return null;
  };
  const outline = (el) => {
    current = el;
    if (!box) {
      box = document.createElement('div');
      box.id = '__chatbuilder-select-box';
      box.style.cssText = 'position:fixed;pointer-events:none;z-index:2147483647;box-sizing:border-box;'
        + 'border:2px solid #2f6feb;background:rgba(47,111,235,0.12);border-radius:2px;display:none';
    }
    if (!box.isConnected) document.documentElement.appendChild(box);
    if (!el) {
      box.style.display = 'none';
      return;
    }
    const r = el.getBoundingClientRect();
    box.style.display = 'block';
    box.style.left = r.left + 'px';
    box.style.top = r.top + 'px';
    box.style.width = r.width + 'px';
    box.style.height = r.height + 'px';
  };
  const setOn = (value) => {
    on = value;
    if (on) {
      if (!style) {
        style = document.createElement('style');
        style.textContent = '*{cursor:crosshair !important}';
      }
      document.documentElement.appendChild(style);
    } else {
      if (style) style.remove();
      outline(null);
    }
  };
  const stop = (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    ev.stopImmediatePropagation();
  };

  window.addEventListener('message', (ev) => {
    const d = ev.data;
    if (!d || typeof d !== 'object' || d.type !== 'chatbuilder:select-mode' || typeof d.on !== 'boolean') return;
    if (ev.source !== window.parent) return;
    replyTo = typeof ev.origin === 'string' && /^https?:\/\//.test(ev.origin) ? ev.origin : '*';
    setOn(d.on);
    try {
      window.parent.postMessage({ type: 'chatbuilder:select-mode-changed', on }, replyTo);
    } catch (e) {
      // nothing to tell
    }
  });
  window.addEventListener('mouseover', (ev) => {
    if (on) outline(nearest(ev));
  }, true);
  window.addEventListener('mousemove', (ev) => {
    if (on) {
      const el = nearest(ev);
      if (el !== current) outline(el);
    }
  }, true);
  window.addEventListener('scroll', () => {
    if (on && current) outline(current);
  }, true);
  window.addEventListener('resize', () => {
    if (on && current) outline(current);
  });
  for (const type of BLOCKED) {
    window.addEventListener(type, (ev) => {
      if (!on) return;
      stop(ev);
      if (type !== 'click') return;
      const el = nearest(ev);
      if (!el) return;
      outline(el);
      const where = sourceOf(el);
      const text = (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT);
      try {
        window.parent.postMessage({ type: 'chatbuilder:element-selected', file: where.file, line: where.line,
          column: where.column, tag: el.tagName.toLowerCase(), text }, replyTo);
      } catch (e) {
        // a parent gone or of another origin now: nothing to tell
      }
    }, { capture: true, passive: false });
  }
}
