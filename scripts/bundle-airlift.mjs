// How airlift is bundled, for both places that do it: release/airlift.mjs and the executables
// (scripts/release.mjs), and dist/cmd/airlift.bundle.cjs, the bin `npm run build` bundles (scripts/build-entry.mjs).
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * The sources load CommonJS packages lazily and by deep path with `createRequire(import.meta.url)`
 * (yaml on first use; undici's Pool and Agent without its index), which esbuild cannot follow.
 * Here each such `const NAME = createRequire(import.meta.url);` is dropped and its calls become plain
 * `require('literal')` calls, which esbuild bundles (CommonJS modules stay lazy: each is evaluated on
 * its first require, as before).
 */
export const followCreateRequire = {
  name: 'follow-create-require',
  setup(b) {
    b.onLoad({ filter: /[\\/](src|cmd)[\\/].*\.ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      if (!text.includes('createRequire(import.meta.url)')) return undefined;
      text = text.replace(/createRequire\(import\.meta\.url\)\(/g, 'require(');
      for (const m of [...text.matchAll(/^const (\w+) = createRequire\(import\.meta\.url\);$/gm)]) {
        text = text.replace(m[0], '');
        if (m[1] !== 'require') text = text.replace(new RegExp(`\\b${m[1]}\\(`, 'g'), 'require(');
      }
      if (text.includes('createRequire(import.meta.url)')) throw new Error(`${args.path}: a createRequire(import.meta.url) this build cannot follow`);
      return { contents: text, loader: 'ts' };
    });
  },
};

/**
 * undici's Client requires its HTTP/2 module (and with it node:http2, node:tls and node:http) as it
 * loads, to call it only when a server answers TLS's ALPN with h2, which airlift never offers (no
 * `allowH2`). Here that require is made on the call instead: a no-op resync of 200 images spent
 * ~5 ms of CPU loading node:http2 before its first request (test/bench/README.md). Fails when
 * undici's source no longer has the line (an undici upgrade: look again).
 */
export const lazyUndiciH2 = lazyRequire(
  'lazy-undici-h2',
  /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/,
  "const connectH2 = require('./client-h2.js')",
  "const connectH2 = (client, socket) => require('./client-h2.js')(client, socket)",
);

/**
 * commander requires node:child_process (and with it node:dgram) as it loads, for executable
 * subcommands (`git-style` commands run as other programs), which airlift does not have. Here that
 * require is made on the call instead (~2.5 ms of a no-op sync's start, test/bench/README.md,
 * p26-resync). Fails when commander's source no longer has the line (an upgrade: look again).
 */
export const lazyCommanderChildProcess = lazyRequire(
  'lazy-commander-child-process',
  /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/,
  "const childProcess = require('node:child_process');",
  "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
);

/**
 * An esbuild plugin that replaces the line `eager` of the files matching `file` with `lazy` (the
 * same binding, required on its first call). Fails the build when a file no longer has the line
 * (an upgrade of that package: look again).
 */
function lazyRequire(name, file, eager, lazy) {
  return {
    name,
    setup(b) {
      b.onLoad({ filter: file }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes(eager)) throw new Error(`${args.path}: no "${eager}" to make lazy (scripts/bundle-airlift.mjs)`);
        return { contents: text.replace(eager, lazy), loader: 'js' };
      });
    },
  };
}

const builtins = new Set(builtinModules);
const isBuiltin = (p) => p.startsWith('node:') || builtins.has(p) || builtins.has(p.split('/')[0]);

/**
 * cmd/airlift.ts and every package it uses in one file (`format` esm or cjs), for Node 20 and later,
 * class and function names kept; fails when anything but Node's built-ins was left outside (an
 * external package would need a node_modules beside the file). `supported` is esbuild's (what the
 * output may use). Returns esbuild's metafile.
 */
export async function bundleAirlift(root, { outfile, format, minify = false, sourcemap = false, define, supported }) {
  const result = await build({
    entryPoints: [path.join(root, 'cmd', 'airlift.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    minify,
    keepNames: true,
    sourcemap,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    define,
    supported,
    // the ESM file gets a `require` for the CommonJS packages' own requires of Node's built-ins
    banner: format === 'esm' ? { js: "import { createRequire as __airliftCreateRequire } from 'node:module';\nconst require = __airliftCreateRequire(import.meta.url);" } : {},
    plugins: [followCreateRequire, lazyUndiciH2, lazyCommanderChildProcess],
  });
  const external = new Set();
  for (const o of Object.values(result.metafile.outputs)) for (const i of o.imports) if (i.external && !isBuiltin(i.path)) external.add(i.path);
  if (external.size) throw new Error(`${outfile}: not bundled: ${[...external].join(', ')}`);
  return result.metafile;
}
