// The second step of `npm run build`, after tsc: the CLI and its packages bundled by esbuild from the
// sources into one file, dist/cmd/airlift.bundle.js, as release/airlift.mjs is (scripts/release.mjs), and
// dist/cmd/airlift.js, the file `airlift` runs (package.json "bin"), replaced by a launcher that turns on
// Node's compile cache (Node >= 22.1; Node 20 has none) and then imports the bundle. The rest of dist/
// stays as tsc wrote it (the tests import it).
//
// Why: start-up is most of a short run (a no-op sync of 200 images), and loading ~120 ES modules and
// ~30 CommonJS files one by one (resolve, stat, read, compile each) cost more than the work before the
// first request. One file: 0.19 -> 0.15 CPU-s to the first request of a no-op sync of 200 images, on
// Node 20 (test/bench/README.md). Code-split chunks (esbuild --splitting, a file per lazily imported
// command) measured 0.166: each chunk is one more module to load, and V8 only pre-parses what one file
// holds that a run does not call.
// The compile cache keeps V8's code for the bundle between runs (Node's default place, a directory per
// Node version under os.tmpdir(), or $NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off; where
// it cannot be written Node carries on without it): on Node 22 the first request of that sync comes at
// 0.119 CPU-s instead of 0.148. It has to be on before the bundle is compiled, hence the launcher.
// Node < 22.1 (Node 20) has no compile cache: there the launcher runs dist/cmd/airlift.bundle.cjs, the
// same bundle built as CommonJS and wrapped in one function expression, through vm.Script with V8's
// cached data (cmd/code-cache.ts: same rules as Node's cache, under os.tmpdir() or $NODE_COMPILE_CACHE).
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleAirlift } from './bundle-airlift.mjs';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'dist', 'cmd', 'airlift.js');
const outfile = path.join(root, 'dist', 'cmd', 'airlift.bundle.js');
const cjsFile = path.join(root, 'dist', 'cmd', 'airlift.bundle.cjs');
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {';
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// tsc's map of the file the launcher replaces would describe other code
rmSync(`${bin}.map`, { force: true });
await bundleAirlift(root, {
  outfile,
  format: 'esm',
  // not minified: stack traces and error class names read as in the sources
  sourcemap: true,
  // No __AIRLIFT_FORM__: this is the dist form (src/bundle/self.ts looks for release/ beside the checkout).
  define: { __AIRLIFT_VERSION__: JSON.stringify(pkg.version) },
});

// The CommonJS build for Node < 22.1. Its dynamic import()s (node:tls) become requires: a vm.Script has
// no loader for import() unless given one (importModuleDynamically), and with none each would throw.
const cjsMeta = await bundleAirlift(root, {
  outfile: cjsFile,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  define: { __AIRLIFT_VERSION__: JSON.stringify(pkg.version) },
});
for (const o of Object.values(cjsMeta.outputs)) {
  const dynamic = o.imports.filter((i) => i.kind === 'dynamic-import');
  if (dynamic.length) throw new Error(`${cjsFile}: import() left in the CommonJS bundle: ${dynamic.map((i) => i.path).join(', ')}`);
}
// One function expression, as Node wraps a CommonJS module, on the line of the hashbang it replaces
// (line numbers in stack traces stay the file's).
const cjs = readFileSync(cjsFile, 'utf8');
const firstLine = cjs.indexOf('\n');
if (!cjs.startsWith('#!') || firstLine < 0) throw new Error(`${cjsFile}: expected the hashbang of cmd/airlift.ts on its first line`);
writeFileSync(cjsFile, `${WRAPPER}${cjs.slice(firstLine)}\n})\n`);

writeFileSync(
  bin,
  `#!/usr/bin/env node
// airlift's bin (scripts/build-entry.mjs): on Node >= 22.1 Node's compile cache on, then airlift, bundled;
// on older Nodes, which have no compile cache, the same bundle built as CommonJS, run with V8's code cache
// (cmd/code-cache.ts).
import module from 'node:module';
if (module.enableCompileCache) {
  module.enableCompileCache();
  await import('./airlift.bundle.js');
} else {
  const { runWithCodeCache } = await import('./code-cache.js');
  runWithCodeCache(\`\${import.meta.dirname}/airlift.bundle.cjs\`, process.env);
}
`,
);
chmodSync(bin, 0o755);
