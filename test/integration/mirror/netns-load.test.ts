/**
 * `airlift load` inside a network namespace that has only loopback: the
 * target docker-registry runs inside it, and nothing else is reachable. Runs
 * the built CLI (dist/, after `npm run build`). Needs `unshare -n` (root, or
 * user namespaces with -r); fails when it is missing.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, seedRegistry, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { registryBinary, startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { skopeoBinary } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'dist', 'cmd', 'airlift.js');

let src: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let bundle: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-netns-'));
  src = await startRegistry({ mode: 'plain' });
  layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
  await seedRegistry(layout.dir, src, layout.images);
  bundle = path.join(tmp, 'bundle.tar');
  const r = await runCli(['--plain-http', src.host, 'save', ...layout.images.flatMap((i) => ['--image', `${src.host}/${i.name}:${i.tag}`]), '-o', bundle]);
  if (r.code !== 0) throw new Error(`save failed: ${r.stderr}`);
}, 120_000);

afterAll(async () => {
  await src?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('load with only loopback', () => {
  it('pushes every image into a registry inside an empty network namespace', async () => {
    await access(cli).catch(() => {
      throw new Error(`${cli} is missing: run npm run build first`);
    });
    const port = 5000 + Math.floor(Math.random() * 1000);
    const host = `127.0.0.1:${port}`;
    const store = path.join(tmp, 'ns-registry');
    await writeFile(
      path.join(tmp, 'ns-registry.yml'),
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${store}\nhttp:\n  addr: ${host}\n`,
    );
    const checks = layout.images.map((i) => `"${skopeoBinary()}" --insecure-policy inspect --raw --tls-verify=false docker://${host}/air/${i.name}:${i.tag} | sha256sum`).join('\n');
    const script = [
      'set -e',
      'ip link set lo up',
      // nothing but loopback: no route anywhere else
      'if ip route get 1.1.1.1 >/dev/null 2>&1; then echo "network reachable" >&2; exit 90; fi',
      `"${registryBinary()}" serve "${tmp}/ns-registry.yml" & REG=$!`,
      'trap "kill $REG 2>/dev/null" EXIT',
      `for i in $(seq 1 100); do "${process.execPath}" -e "require('http').get('http://${host}/v2/',r=>process.exit(0)).on('error',()=>process.exit(1))" && break; sleep 0.1; done`,
      `"${process.execPath}" "${cli}" --plain-http ${host} load "${bundle}" --to ${host}/air -o json`,
      'echo "---digests"',
      checks,
    ].join('\n');
    const args = process.getuid?.() === 0 ? ['-n', 'sh', '-c', script] : ['-n', '-r', 'sh', '-c', script];
    const r = await run('unshare', args);
    expect(r.stderr).not.toContain('network reachable');
    expect(r.code, r.stderr).toBe(0);
    const digests = r.stdout.split('---digests')[1]!.trim().split('\n').map((l) => `sha256:${l.split(' ')[0]}`);
    expect(digests).toEqual(layout.images.map((i) => i.digest));
  }, 120_000);
});
