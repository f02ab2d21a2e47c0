/**
 * A closed stdout or stderr under the real binary (issue #22's small items). When stdout's reader
 * goes away (`airlift … | head`), airlift stops quietly as a Unix tool killed by SIGPIPE: no
 * stack trace, exit 141 (never 0: the output was not delivered), nothing half-written left behind; a
 * run that was still working says so in one line. A slow reader gets every byte (exit 0). A closed
 * stderr (progress only) does not stop a run that is otherwise fine. The current source runs
 * through tsx (so a stale dist/ never answers); the pipes are real pipes whose read end is closed.
 */
import { spawn } from 'node:child_process';
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingDirFor } from '../../../src/endpoint/oci-archive.js';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { REPO_ROOT, airlift, manifestStatus, workspace, type Workspace } from '../../harness/workspace.js';

const REF = 'example.com/team/app:1.0';
/** Rendered manifests naming this many distinct images: `images -` prints well over a pipe's 64 KiB (≈ 600 KiB as a list). */
const PODS = 3000;
/** Long repository names (200 characters) make the output large without more pods to render. */
const PATH = 'a-long-path-segment/'.repeat(8);

interface Ended {
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs airlift with stdin from a file. `stdout`: 'closed' closes the read end of its pipe before the
 * process writes anything; a number reads that many bytes, then closes it (`head -c N`); 'read'
 * reads it all. `stderr: 'closed'` closes stderr's read end the same way.
 */
function runAirlift(
  ws: Workspace,
  argv: string[],
  opts: { stdin?: string; stdout: 'closed' | 'read' | number; stderr?: 'closed' | 'read' },
): Promise<Ended> {
  const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const stdin = opts.stdin === undefined ? 'ignore' : 'pipe';
  const child = spawn(process.execPath, ['--import', tsx, path.join(REPO_ROOT, 'cmd', 'airlift.ts'), ...argv], {
    cwd: ws.dir,
    env: ws.env,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  if (opts.stdin !== undefined) void readFile(opts.stdin).then((b) => child.stdin!.end(b));
  child.stdin?.on('error', () => undefined);
  const out: Buffer[] = [];
  let got = 0;
  if (opts.stdout === 'closed') child.stdout!.destroy();
  else {
    const limit = opts.stdout;
    child.stdout!.on('data', (c: Buffer) => {
      out.push(c);
      got += c.length;
      if (typeof limit === 'number' && got >= limit) child.stdout!.destroy();
    });
  }
  let stderr = '';
  if (opts.stderr === 'closed') child.stderr!.destroy();
  else child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr }));
  });
}

/** Runs airlift in a shell pipeline `airlift ARGS < STDIN | READER > OUT` and returns its own exit status. */
function pipeline(ws: Workspace, argv: string[], stdin: string, reader: string, out: string): Promise<{ status: number; stderr: string }> {
  const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const script = `"$@" < "$AIRLIFT_IN" 2>"$AIRLIFT_ERR" | ${reader} > "$AIRLIFT_OUT"; echo "\${PIPESTATUS[0]}"`;
  const errFile = `${out}.stderr`;
  const child = spawn('bash', ['-c', script, 'pipeline', process.execPath, '--import', tsx, path.join(REPO_ROOT, 'cmd', 'airlift.ts'), ...argv], {
    cwd: ws.dir,
    env: { ...ws.env, AIRLIFT_IN: stdin, AIRLIFT_OUT: out, AIRLIFT_ERR: errFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', async () => resolve({ status: Number(text.trim()), stderr: await readFile(errFile, 'utf8') }));
  });
}

/** No stack trace, no unhandled error: what a closed pipe must never print. */
function expectNoTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('Unhandled');
  expect(stderr).not.toContain('EPIPE\n    at');
  expect(stderr).not.toContain('E_INTERNAL');
}

let ws: Workspace;
let manifests: string;
let bundle: string;
beforeAll(async () => {
  ws = await workspace('closed-output');
  manifests = path.join(ws.dir, 'many.yaml');
  const docs: string[] = [];
  for (let i = 0; i < PODS; i++) {
    docs.push(`---\napiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers:\n  - name: c\n    image: registry.example.com/${PATH}app-${i}:1.${i}.0\n`);
  }
  await writeFile(manifests, docs.join(''));
  bundle = path.join(ws.dir, 'in.tar');
  await writeBundle(bundle, sampleBundle(REF, 6 * 1024 * 1024).entries);
});
afterAll(async () => {
  await ws?.remove();
});

describe('stdout closed by its reader', () => {
  it('images --help: exit 141, nothing on stderr', async () => {
    const r = await runAirlift(ws, ['images', '--help'], { stdout: 'closed' });
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(141);
    expect(r.stderr).toBe('');
  });

  it('images of many lines, the reader gone after the first bytes (head -c 10): exit 141, no stack trace', async () => {
    for (const format of ['list', 'json']) {
      const r = await runAirlift(ws, ['images', '-', '-o', format], { stdin: manifests, stdout: 10 });
      expect(r.code, `${format}: ${r.stderr}`).toBe(141);
      expect(r.stdout.length).toBeGreaterThanOrEqual(10);
      // one pipe's worth at most arrived, of the ≈ 600 KiB (list) or 1.3 MiB (json) the run writes
      expect(r.stdout.length).toBeLessThanOrEqual(64 * 1024);
      expectNoTrace(r.stderr);
      // the run had finished: the reader chose to stop reading, nothing to say
      expect(r.stderr, format).not.toContain('error [');
    }
  });

  it('images in a real shell pipeline `| head -1`: exit 141 and the first line delivered', async () => {
    const out = path.join(ws.dir, 'head.txt');
    const r = await pipeline(ws, ['images', '-', '-o', 'list'], manifests, 'head -1', out);
    expect(r.status, r.stderr).toBe(141);
    expect(await readFile(out, 'utf8')).toBe(`registry.example.com/${PATH}app-0:1.0.0\n`);
    expectNoTrace(r.stderr);
  });

  describe('copying commands', () => {
    const reg = useRegistry('plain');
    const slowed = useFaultProxy(() => ({ url: `http://${reg().host}` }));

    it('load -o json with stdout closed: the images land, the report is not delivered: exit 141, no trace', async () => {
      const r = await runAirlift(ws, ['--plain-http', reg().host, 'load', bundle, '--to', `${reg().host}/closed`, '-o', 'json'], { stdout: 'closed' });
      expect(r.code, r.stderr).toBe(141);
      expectNoTrace(r.stderr);
      expect(await manifestStatus(reg(), 'closed/team/app', '1.0')).toBe(200);
    });

    it('copy to oci-archive:- (the archive on stdout), the reader gone: one line, exit 141, no partial file, the staging named', async () => {
      const r = await runAirlift(ws, ['copy', `oci-archive:${bundle}:${REF}`, 'oci-archive:-'], { stdout: 100 });
      expect(r.code, r.stderr).toBe(141);
      expectNoTrace(r.stderr);
      expect(r.stderr).toMatch(/^error \[E_INTERRUPTED\]: stdout was closed by its reader \(EPIPE\)/m);
      expect(r.stderr.match(/^error /gm)).toHaveLength(1);
      // nothing but the bundle and the manifests is in the workspace
      expect((await readdir(ws.dir)).filter((n) => n.includes('tmp') || n.includes('staging') || n === '-')).toEqual([]);
      // what was staged stays for a re-run (as after Ctrl-C), and the message says where
      const staging = stagingDirFor(path.join(ws.dir, '-'), true);
      const kept = await stat(staging).then(() => true, () => false);
      await rm(staging, { recursive: true, force: true });
      if (kept) expect(r.stderr).toContain(`hint: what was copied stays in ${staging}: run the same copy again to resume, or remove it with rm -r ${staging}`);
    });

    it('save -o - (the bundle on stdout), the reader gone: exit 141, one error line and where the staging waits; no bundle file', async () => {
      const host = reg().host;
      const seeded = await airlift(ws, ['--plain-http', host, 'load', bundle, '--to', `${host}/tosave`]);
      expect(seeded.code, seeded.stderr).toBe(0);
      const r = await runAirlift(ws, ['--plain-http', host, 'save', '--image', `${host}/tosave/team/app:1.0`, '-o', '-'], { stdout: 100 });
      expect(r.code, r.stderr).toBe(141);
      expectNoTrace(r.stderr);
      expect(r.stderr.match(/^error /gm)).toHaveLength(1);
      expect(r.stderr).toMatch(/^error \[E_INTERRUPTED\]: stdout was closed by its reader \(EPIPE\)/m);
      const staging = stagingDirFor(path.join(ws.dir, '-'), true);
      const kept = await stat(staging).then(() => true, () => false);
      await rm(staging, { recursive: true, force: true });
      expect(r.stderr).toContain(kept ? `what was fetched stays in ${staging}` : 'nothing was kept');
      expect((await readdir(ws.dir)).filter((n) => n.includes('tmp') || n.includes('staging') || n === '-')).toEqual([]);
    });

    // - and the names of stdout itself (as - when stdout is a pipe): the reader watched, nothing but the archive on stdout
    it.each(['-', '/dev/stdout', '/proc/self/fd/1'])('save -o %s in a real pipeline whose reader goes (`| sleep 1`) while every blob is held 30 s: stopped at once (exit 141), not after the save; the staging named, no bundle file', async (name) => {
      // every blob GET held 30 s by the fault proxy: the save cannot finish before then; it is written
      // to stdout only once complete, so only a watch of the pipe notices its reader went after 1 s
      const host = reg().host;
      const suffix = name === '-' ? '' : name.replaceAll('/', '-');
      const seeded = await airlift(ws, ['--plain-http', host, 'load', bundle, '--to', `${host}/slowsave${suffix}`]);
      expect(seeded.code, seeded.stderr).toBe(0);
      const held = slowed().addRule({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: 'stall', ms: 30_000 } });
      const out = path.join(ws.dir, `sleep${suffix}.out`);
      const started = Date.now();
      const r = await pipeline(ws, ['--plain-http', slowed().host, 'save', '--image', `${slowed().host}/slowsave${suffix}/team/app:1.0`, '-o', name], '/dev/null', 'sleep 1', out);
      const took = Date.now() - started;
      held.remove();
      expect(r.status, r.stderr).toBe(141);
      // well before the first held blob would have been answered (30 s; without the watch the run took
      // 32.6 s: it went on to the held blobs and found the reader gone only when writing the bundle)
      expect(took, r.stderr).toBeLessThan(20_000);
      expectNoTrace(r.stderr);
      expect(r.stderr.match(/^error /gm)).toHaveLength(1);
      expect(r.stderr).toMatch(/^error \[E_INTERRUPTED\]: stdout was closed by its reader \(EPIPE\)/m);
      expect(r.stderr).not.toContain('wrote the bundle');
      const staging = stagingDirFor(path.join(ws.dir, '-'), true);
      const kept = await stat(staging).then(() => true, () => false);
      await rm(staging, { recursive: true, force: true });
      expect(r.stderr).toContain(kept ? `what was fetched stays in ${staging}` : 'nothing was kept');
      expect((await readdir(ws.dir)).filter((n) => n.includes('tmp') || n.includes('staging') || n === '-')).toEqual([]);
      // the watcher (tail) went with the run: the pipeline ended, nothing of it left writing
      expect((await stat(out)).size).toBe(0);
    });

    it('copy … oci-archive:- whose reader goes (`| sleep 1`) while every blob is held 30 s: stopped at once, exit 141, no trace', async () => {
      const host = reg().host;
      const seeded = await airlift(ws, ['--plain-http', host, 'load', bundle, '--to', `${host}/slowcopy`]);
      expect(seeded.code, seeded.stderr).toBe(0);
      const held = slowed().addRule({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: 'stall', ms: 30_000 } });
      const started = Date.now();
      const r = await pipeline(ws, ['--plain-http', slowed().host, 'copy', `docker://${slowed().host}/slowcopy/team/app:1.0`, 'oci-archive:-'], '/dev/null', 'sleep 1', path.join(ws.dir, 'sleep-copy.out'));
      const took = Date.now() - started;
      held.remove();
      expect(r.status, r.stderr).toBe(141);
      expect(took, r.stderr).toBeLessThan(20_000);
      expectNoTrace(r.stderr);
      expect(r.stderr).toMatch(/^error \[E_INTERRUPTED\]: stdout was closed by its reader \(EPIPE\)/m);
      await rm(stagingDirFor(path.join(ws.dir, '-'), true), { recursive: true, force: true });
      expect((await readdir(ws.dir)).filter((n) => n.includes('tmp') || n.includes('staging') || n === '-')).toEqual([]);
    });

    it('copy … oci-archive:/dev/fd/1 into a pipe: the archive alone on stdout (the digest on stderr), as oci-archive:- writes it', async () => {
      const viaName = await runAirlift(ws, ['copy', `oci-archive:${bundle}:${REF}`, `oci-archive:/dev/fd/1:${REF}`], { stdout: 'read' });
      expect(viaName.code, viaName.stderr).toBe(0);
      const viaDash = await runAirlift(ws, ['copy', `oci-archive:${bundle}:${REF}`, `oci-archive:-:${REF}`], { stdout: 'read' });
      expect(viaDash.code, viaDash.stderr).toBe(0);
      expect(viaName.stdout.length).toBeGreaterThan(6 * 1024 * 1024);
      expect(viaName.stdout.equals(viaDash.stdout)).toBe(true);
      expect(viaName.stderr).toMatch(/wrote sha256:[a-f0-9]{64} to stdout/);
    });

    it('copy with stderr closed (progress lines lost) still copies and exits 0, its report whole on stdout', async () => {
      const dir = path.join(ws.dir, 'layout-out');
      const r = await runAirlift(ws, ['copy', `oci-archive:${bundle}:${REF}`, `oci:${dir}:x`], { stdout: 'read', stderr: 'closed' });
      expect(r.code).toBe(0);
      expect(r.stdout.toString('utf8')).toMatch(/^sha256:[a-f0-9]{64}\n$/);
      expect((await stat(path.join(dir, 'index.json'))).isFile()).toBe(true);
    });
  });
});

describe('stdout on a full device', () => {
  it('images > /dev/full: E_IO (exit 11) naming stdout, once, no stack trace', async () => {
    const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const full = await open('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, ['--import', tsx, path.join(REPO_ROOT, 'cmd', 'airlift.ts'), 'images', '-', '-o', 'json'], {
        cwd: ws.dir,
        env: ws.env,
        stdio: ['pipe', full.fd, 'pipe'],
      });
      child.stdin!.end(await readFile(manifests));
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(code, stderr).toBe(11);
      expect(stderr.match(/^error \[E_IO\]: cannot write the output to stdout: ENOSPC/gm)).toHaveLength(1);
      expectNoTrace(stderr);
    } finally {
      await full.close();
    }
  });
});

describe('stdout read slowly', () => {
  it('images -o json of 1 MiB and more through `(sleep 1; cat)` arrives whole, exit 0, the same bytes as to a file', async () => {
    const toFile = path.join(ws.dir, 'direct.json');
    const direct = await pipeline(ws, ['images', '-', '-o', 'json'], manifests, 'cat', toFile);
    expect(direct.status, direct.stderr).toBe(0);
    const slow = path.join(ws.dir, 'slow.json');
    const r = await pipeline(ws, ['images', '-', '-o', 'json'], manifests, '(sleep 1; cat)', slow);
    expect(r.status, r.stderr).toBe(0);
    const a = await readFile(toFile);
    const b = await readFile(slow);
    expect(a.length).toBeGreaterThan(1024 * 1024);
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(true);
    expect((JSON.parse(b.toString('utf8')) as { images: unknown[] }).images).toHaveLength(PODS);
  });
});

describe('an archive on stdout read slowly', () => {
  it('copy to oci-archive:- through `(sleep 1; cat)`: exit 0, byte for byte the archive copy writes to a file', async () => {
    const toFile = path.join(ws.dir, 'direct.tar');
    const direct = await runAirlift(ws, ['copy', `oci-archive:${bundle}:${REF}`, `oci-archive:${toFile}`], { stdout: 'read' });
    expect(direct.code, direct.stderr).toBe(0);
    const slow = path.join(ws.dir, 'slow.tar');
    const r = await pipeline(ws, ['copy', `oci-archive:${bundle}:${REF}`, 'oci-archive:-'], '/dev/null', '(sleep 1; cat)', slow);
    expect(r.status, r.stderr).toBe(0);
    const a = await readFile(toFile);
    const b = await readFile(slow);
    expect(a.length).toBeGreaterThan(6 * 1024 * 1024);
    expect(b.equals(a)).toBe(true);
  });
});
