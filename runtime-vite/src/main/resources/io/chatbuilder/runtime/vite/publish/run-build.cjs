// Runs the app's package.json "build" script as `npm run build` does (sh -c, node_modules/.bin
// first on PATH, npm_lifecycle_event), inside the publish sandbox. Started by VitePublisher as
// `node --env-file=.chatbuilder/build.env -e <this>`, so the build's fixed environment reaches every
// program of the script (tsc, vue-tsc, svelte-check, vite). npm itself cannot be used for this: the
// command policy refuses the npm settings that would pass node options to scripts.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

let pkg;
try {
  pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
} catch (e) {
  console.error('[chatbuilder] cannot read package.json: ' + e.message);
  process.exit(2);
}
const script = pkg && pkg.scripts && pkg.scripts.build;
if (typeof script !== 'string' || script.trim() === '') {
  console.error('[chatbuilder] package.json has no "build" script');
  process.exit(2);
}
console.log('> build: ' + script);
const env = Object.assign({}, process.env, {
  PATH: path.resolve('node_modules/.bin') + path.delimiter + (process.env.PATH || ''),
  npm_lifecycle_event: 'build',
  npm_lifecycle_script: script,
  npm_package_name: typeof pkg.name === 'string' ? pkg.name : '',
  npm_package_version: typeof pkg.version === 'string' ? pkg.version : '',
});
const result = spawnSync('/bin/sh', ['-c', script], { stdio: 'inherit', env });
if (result.error) {
  console.error('[chatbuilder] cannot run the build script: ' + result.error.message);
  process.exit(2);
}
process.exit(result.status === null ? 1 : result.status);
