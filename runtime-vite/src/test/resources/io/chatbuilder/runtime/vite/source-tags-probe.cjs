// Appended to preview/source-tags.cjs by SourceTagsTest and run by node inside an app's sandbox:
// feeds the plugin hostile and unusual inputs, checks its output with the app's own parsers and
// prints one JSON object of named results. `node probe.cjs jsx|vue|svelte|html`.
(() => {
  const path = require('node:path');
  const { createRequire } = require('node:module');
  const fs = require('node:fs');
  const need = createRequire(path.join(process.cwd(), 'package.json')); // the test's own parsers
  // the plugin's root: a directory below the app, whose node_modules Node's resolution still finds
  const root = path.join(process.cwd(), '.probe', 'root');
  const plugin = chatbuilderSourceTags(root);
  // the plugin only tags code that is the file as written: each case's file is written first
  const place = (code, file) => {
    if (file.startsWith('\0') || (path.isAbsolute(file) && !file.startsWith(root + path.sep))) return file;
    const id = path.isAbsolute(file) ? file : path.join(root, file);
    const real = id.split('?')[0];
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, code);
    return id;
  };
  const transform = (code, file) => plugin.transform.handler(code, place(code, file));
  const html = (code, file) => plugin.transformIndexHtml.handler(code, { filename: place(code, file) });
  const out = {};
  const run = (name, f) => {
    try {
      out[name] = f();
    } catch (e) {
      out[name] = { threw: String((e && e.stack) || e) };
    }
  };
  const code = (r) => (r ? r.code : null);

  // original position of a generated one through a returned map (one segment per token start)
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const decode = (seg) => {
    const res = [];
    let v = 0, shift = 0;
    for (const ch of seg) {
      let d = B64.indexOf(ch);
      const more = d & 32;
      d &= 31;
      v += d << shift;
      if (more) shift += 5;
      else {
        res.push(v & 1 ? -(v >>> 1) : v >>> 1);
        v = 0;
        shift = 0;
      }
    }
    return res;
  };
  const original = (map, line, column) => {
    let srcLine = 0, srcCol = 0, best = null;
    const lines = map.mappings.split(';');
    for (let l = 0; l < lines.length && l <= line; l++) {
      let gen = 0;
      for (const seg of lines[l].split(',')) {
        if (!seg) continue;
        const v = decode(seg);
        gen += v[0];
        srcLine += v[2];
        srcCol += v[3];
        if (l === line && gen <= column) best = { line: srcLine, column: srcCol + (column - gen) };
      }
    }
    return best;
  };

  const mode = process.argv[2];
  if (mode === 'jsx') {
    const babel = need('@babel/parser');
    const attrsOf = (src, plugins) => {
      const found = [];
      const walk = (n) => {
        if (!n || typeof n !== 'object') return;
        if (Array.isArray(n)) return n.forEach(walk);
        if (n.type === 'JSXAttribute' && n.name.name === 'data-cb-source') {
          found.push(n.value.type === 'StringLiteral' ? n.value.value : n.value.expression.value);
        }
        for (const k of Object.keys(n)) if (k !== 'loc') walk(n[k]);
      };
      walk(babel.parse(src, { sourceType: 'module', plugins }).program);
      return found;
    };
    run('syntaxError', () => code(transform('export const A = () => <div>\nconst broken = ;\n', 'src/Bad.jsx')));
    run('jsInPlainJs', () => code(transform('export const A = () => <div>x</div>\n', 'src/plain.js')));
    run('query', () => code(transform('export const A = () => <div/>\n', 'src/A.jsx?raw')));
    run('virtual', () => code(transform('export const A = () => <div/>\n', '\0virtual:A.jsx')));
    run('outsideRoot', () => code(transform('export const A = () => <div/>\n', '/elsewhere/A.jsx')));
    run('dependency', () => code(transform('export const A = () => <div/>\n', 'node_modules/pkg/A.jsx')));
    run('oversized', () => code(transform('export const A = () => <div/>\n//' + 'x'.repeat(3 * 1024 * 1024), 'src/Big.jsx')));
    run('alreadyTagged', () => code(transform('export const A = () => <div data-cb-source="mine"><p/></div>\n', 'src/T.jsx')));
    run('componentsAndFragments', () => code(transform(
      'export const A = () => <><Foo/><Foo.Bar/><foo.bar/><svg:rect/><my-el/></>\n', 'src/C.jsx')));
    run('hostileName', () => {
      const name = 'src/we"ird {x} & <y>.jsx';
      const r = transform('export const A = () => <div>x</div>\n', name);
      return { code: r.code, values: attrsOf(r.code, ['jsx']) };
    });
    run('unicodeColumns', () => {
      const r = transform('export const A = () => <p>\u00e9\ud83d\ude00<b/></p>\n', 'src/U.jsx');
      return attrsOf(r.code, ['jsx']);
    });
    run('tsxGenerics', () => {
      const src = 'const id = <T,>(a: T): T => a\nexport const B = (p: { n: number }) => <ul>{[p.n].map((n) => <li key={n}>{id(n)}</li>)}</ul>\n';
      const r = transform(src, 'src/G.tsx');
      return attrsOf(r.code, ['jsx', 'typescript']);
    });
    run('tsxTypeAssertionIsNotJsx', () => code(transform('const n = <number>(1 as any)\nexport default n\n', 'src/Cast.tsx')));
    run('sourceMap', () => {
      // every token after the insertions maps back to where it is in the source
      const src = 'export const A = () => <main id="m"><p className="x">{value.boom}</p></main>\nconst value = {}\n';
      const r = transform(src, 'src/M.jsx');
      const at = r.code.indexOf('value.boom');
      const lineStart = r.code.lastIndexOf('\n', at) + 1;
      return { generated: at - lineStart, original: original(r.map, 0, at - lineStart), expected: src.indexOf('value.boom'),
        secondLine: original(r.map, 1, r.code.split('\n')[1].indexOf('{}')), expectedSecond: 'const value = '.length,
        sources: r.map.sources.map((s) => path.relative(root, s)) };
    });
    run('jsxInJsWhenConfigured', () => {
      const configured = chatbuilderSourceTags(root);
      configured.configResolved({ esbuild: { loader: 'jsx', include: /src\/.*\.js$/ } });
      const src = 'export const A = () => <div>x</div>\n';
      return code(configured.transform.handler(src, place(src, 'src/jsx.js')));
    });
    run('jsxInJsGlobs', () => {
      const configured = chatbuilderSourceTags(root);
      configured.configResolved({ esbuild: { loader: 'jsx', include: ['src/**/*.js'], exclude: 'src/vendor/*.js' } });
      const src = 'export const A = () => <div>x</div>\n';
      const t = (f) => code(configured.transform.handler(src, place(src, f)));
      return { deep: t('src/a/b.js'), excluded: t('src/vendor/v.js'), outside: t('lib/c.js') };
    });
    run('jsxLoaderWithoutInclude', () => {
      const configured = chatbuilderSourceTags(root);
      configured.configResolved({ esbuild: { loader: 'jsx' } }); // Vite's default include has no .js
      const src = 'export const A = () => <div>x</div>\n';
      return code(configured.transform.handler(src, place(src, 'src/jsx.js')));
    });
    run('missingParser', () => {
      const src = 'export const A = () => <div/>\n';
      fs.mkdirSync('/tmp/no-app-here/src', { recursive: true });
      fs.writeFileSync('/tmp/no-app-here/src/A.jsx', src);
      const bare = chatbuilderSourceTags('/tmp/no-app-here');
      return code(bare.transform.handler(src, '/tmp/no-app-here/src/A.jsx'));
    });
    run('changedByAnotherPlugin', () => {
      // what an earlier plugin made of the file: its positions are not the file's
      const id = place('export const A = () => <div>x</div>\n', 'src/Changed.jsx');
      return code(plugin.transform.handler('// injected\nexport const A = () => <div>x</div>\n', id));
    });
    run('htmlChangedByAnotherPlugin', () => {
      const id = place('<body><p>x</p></body>', 'other.html');
      return plugin.transformIndexHtml.handler('<body><p>x</p><i>injected</i></body>', { filename: id });
    });
  } else if (mode === 'vue') {
    const sfc = need('vue/compiler-sfc');
    const valuesOf = (src) => {
      const { descriptor, errors } = sfc.parse(src, { filename: 'x.vue' });
      const found = [];
      const walk = (n) => {
        for (const p of n.props || []) if (p.type === 6 && p.name === 'data-cb-source') found.push(p.value.content);
        for (const c of n.children || []) walk(c);
      };
      walk(descriptor.template.ast);
      const compiled = sfc.compileTemplate({ source: descriptor.template.content, filename: 'x.vue', id: 'x' });
      return { found, parseErrors: errors.length, compileErrors: compiled.errors.length };
    };
    run('parseError', () => code(transform('<template>\n  <div>\n    <p>open\n  </div>\n</template>\n', 'src/Bad.vue')));
    run('compileError', () => code(transform('<template>\n  <p :title="a +">x</p>\n</template>\n', 'src/Expr.vue')));
    run('pug', () => code(transform('<template lang="pug">\n  div hello\n</template>\n', 'src/Pug.vue')));
    run('noTemplate', () => code(transform('<script>\nexport default {}\n</script>\n', 'src/Script.vue')));
    run('componentsSlotsTemplates', () => valuesOf(code(transform(
      '<template>\n  <div><Foo/><my-comp/><component is="b"/><slot/><template v-if="x"><i/></template><keep-alive><b/></keep-alive></div>\n</template>\n',
      'src/K.vue'))));
    run('hostileName', () => valuesOf(code(transform('<template>\n  <p>x</p>\n</template>\n', 'src/we"ird {x} & <y>.vue'))));
  } else if (mode === 'svelte') {
    const svelte = need('svelte/compiler');
    const valuesOf = (src) => {
      const found = [];
      const seen = new Set();
      const walk = (n) => {
        if (!n || typeof n !== 'object' || seen.has(n)) return;
        seen.add(n);
        if (Array.isArray(n)) return n.forEach(walk);
        if (n.type === 'Attribute' && n.name === 'data-cb-source') found.push(n.value.map((v) => v.data).join(''));
        for (const k of Object.keys(n)) if (k !== 'metadata') walk(n[k]);
      };
      walk(svelte.parse(src, { modern: true }).fragment);
      svelte.compile(src, { filename: 'x.svelte', generate: false });
      return found;
    };
    run('parseError', () => code(transform('<main>\n  {#if}\n</main>\n', 'src/Bad.svelte')));
    run('compileError', () => code(transform('<script>\n  let a = $state(1)\n  a = $state(2)\n</script>\n<p>{a}</p>\n', 'src/Rune.svelte')));
    run('specialElements', () => valuesOf(code(transform(
      '<svelte:head><title>t</title><meta name="a"/></svelte:head>\n<svelte:element this="div"/>\n<Foo/>\n{#snippet s()}<em>e</em>{/snippet}\n{#await p}<i>w</i>{:then v}<b>{v}</b>{/await}\n<svelte:window/>\n',
      'src/S.svelte'))));
    run('hostileName', () => valuesOf(code(transform('<p>x</p>\n', 'src/we"ird {x} & <y>.svelte'))));
  } else if (mode === 'html') {
    run('unterminatedComment', () => html('<body>\n<div></div>\n<!-- open\n', 'index.html'));
    run('unterminatedTag', () => html('<body>\n<div title="x>\n', 'index.html'));
    run('quotedGreaterThan', () => html("<body><div title='a>b' data-x=\"<p>\"><P>x</P></div></body>", 'index.html'));
    run('alreadyTagged', () => html('<body><div data-cb-source="mine"></div><DIV DATA-CB-SOURCE="x"></DIV></body>', 'index.html'));
    run('hostileName', () => html('<body><p>x</p></body>', 'pa"ge {x} & <y>.html'));
    run('outsideRoot', () => plugin.transformIndexHtml.handler('<body><p>x</p></body>', { filename: '/elsewhere/index.html' }));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})();
