// The second step of `npm run build`, after tsc: the CLI and its packages bundled by esbuild from the
// sources into one file, dist/cmd/airlift.bundle.cjs, as release/airlift.mjs is (scripts/release.mjs), and
// dist/cmd/airlift.cjs, the file `airlift` runs (package.json "bin"), a launcher that runs the bundle with
// V8's code cache (cmd/code-cache.ts), and dist/cmd/airlift.js, tsc's file replaced by the same launcher as an
// ES module. The rest of dist/ stays as tsc wrote it (the tests
// import it).
//
// Why one file: start-up is most of a short run (a no-op sync of 200 images), and loading ~120 ES
// modules and ~30 CommonJS files one by one (resolve, stat, read, compile each) cost more than the work
// before the first request. One file: 0.19 -> 0.15 CPU-s to the first request of a no-op sync of 200
// images, on Node 20 (test/bench/README.md). Code-split chunks (esbuild --splitting, a file per lazily
// imported command) measured 0.166: each chunk is one more module to load, and V8 only pre-parses what
// one file holds that a run does not call.
// Why the code cache: compiling the 2.7 MB file was 45-70 ms of CPU in every run. The bundle is CommonJS
// wrapped in one function expression, compiled through vm.Script with the cached data of the command
// (written at the exit of a successful run, so it holds the functions the command compiled lazily; same
// rules as Node's compile cache: $NODE_COMPILE_CACHE or a directory of the user's under os.tmpdir(),
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, never fatal). A no-op sync of 200 images reaches its first
// request at 155 instead of 187 ms of CPU on Node 20, which has no compile cache; on Node 22 and 24 at
// 117 / 132 ms where Node's own compile cache of an ES module bundle (this launcher before) gave 142 /
// 158 (it keeps the top level's code, not the functions a command compiles later).
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { bundleAirlift } from './bundle-airlift.mjs';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'dist', 'cmd', 'airlift.js');
const cjsBin = path.join(root, 'dist', 'cmd', 'airlift.cjs');
const cjsFile = path.join(root, 'dist', 'cmd', 'airlift.bundle.cjs');
const launcherFile = path.join(root, 'dist', 'cmd', 'code-cache.cjs');
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {';
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// tsc's map of the file the launcher replaces would describe other code; the ES module bundle of
// earlier builds is not used any more
for (const f of [`${bin}.map`, path.join(root, 'dist', 'cmd', 'airlift.bundle.js'), path.join(root, 'dist', 'cmd', 'airlift.bundle.js.map')]) rmSync(f, { force: true });

// Its dynamic import()s (node:tls) become requires: a vm.Script has no loader for import() unless given
// one (importModuleDynamically), and with none each would throw.
const meta = await bundleAirlift(root, {
  outfile: cjsFile,
  format: 'cjs',
  // not minified: stack traces and error class names read as in the sources
  sourcemap: true,
  supported: { 'dynamic-import': false },
  // No __AIRLIFT_FORM__: this is the dist form (src/bundle/self.ts looks for release/ beside the checkout).
  define: { __AIRLIFT_VERSION__: JSON.stringify(pkg.version) },
});
for (const o of Object.values(meta.outputs)) {
  const dynamic = o.imports.filter((i) => i.kind === 'dynamic-import');
  if (dynamic.length) throw new Error(`${cjsFile}: import() left in the bundle: ${dynamic.map((i) => i.path).join(', ')}`);
}
// One function expression, as Node wraps a CommonJS module, on the line of the hashbang it replaces
// (line numbers in stack traces and the source map stay the file's).
const cjs = readFileSync(cjsFile, 'utf8');
const firstLine = cjs.indexOf('\n');
if (!cjs.startsWith('#!') || firstLine < 0) throw new Error(`${cjsFile}: expected the hashbang of cmd/airlift.ts on its first line`);
// ASCII only: esbuild escapes what is not ASCII in strings, not in comments and regular expressions
// (undici's comments: ’, §, →). One such character made V8 hold the whole 2.7 MB text as a two-byte
// string (5.4 MB), decoded from UTF-8 in every run; ASCII text is read as latin1 into a one-byte
// string (cmd/code-cache.ts). \uXXXX means the same character in a string, a regular expression,
// an identifier or a comment.
const ascii = `${WRAPPER}${cjs.slice(firstLine)}\n})\n`.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
writeFileSync(cjsFile, ascii);

// The launcher's part (cmd/code-cache.ts, with the argv helpers it uses) as one CommonJS file, required
// by the bin: as ES modules these were 4 files for the loader to resolve, read and compile in every
// run, and an ES module import of node:crypto, node:fs, node:os, node:v8, node:vm builds each one's
// namespace (node:crypto's reads its lazy webcrypto getters).
await build({
  entryPoints: [path.join(root, 'cmd', 'code-cache.ts')],
  outfile: launcherFile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  keepNames: true,
  logLevel: 'warning',
});

const sha = createHash('sha256').update(ascii).digest('hex');
// Two launchers of the same bundle and cache. dist/cmd/airlift.cjs is the one `airlift` runs (package.json
// "bin"): a CommonJS main is loaded by Node's CommonJS loader alone, while an ES module main (this
// package is "type": "module", so any .js here is one) first loads Node's ES module loader (a dozen of
// node's own modules, the resolution of the file, createRequire): 8-10 ms of CPU to a no-op sync's
// first request on Node 20 (test/bench/README.md, p26-resync). dist/cmd/airlift.js stays, the same
// launcher as an ES module, for what runs `node dist/cmd/airlift.js`.
writeFileSync(
  bin,
  `#!/usr/bin/env node
// airlift as an ES module (scripts/build-entry.mjs): airlift, bundled, run with V8's code cache (cmd/code-cache.ts,
// bundled as code-cache.cjs). The bin is airlift.cjs, the same launcher as CommonJS (it starts faster).
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./code-cache.cjs').runWithCodeCache(\`\${import.meta.dirname}/airlift.bundle.cjs\`, process.env, '${sha}');
`,
);
chmodSync(bin, 0o755);
writeFileSync(
  cjsBin,
  `#!/usr/bin/env node
// airlift's bin (scripts/build-entry.mjs): airlift, bundled, run with V8's code cache (cmd/code-cache.ts,
// bundled as code-cache.cjs). CommonJS: node loads no ES module loader for it.
'use strict';
require('./code-cache.cjs').runWithCodeCache(\`\${__dirname}/airlift.bundle.cjs\`, process.env, '${sha}');
`,
);
chmodSync(cjsBin, 0o755);
