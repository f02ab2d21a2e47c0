/**
 * Trap 2 of issue #17: outputs never replace what is not a regular file. As root, `relocate -o
 * /dev/null` once turned /dev/null into a regular file (the atomic rename). Character devices and
 * FIFOs are written into; a directory is refused before any work; a regular file (or a missing one)
 * is still replaced atomically. Every -o, --lock-out, --secret-out and --emit-dir file, and a bundle.
 */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOutput, writeOutput } from '../../../src/output/file.js';
import { runCli } from '../../helpers/io.js';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CHART = path.join(repoRoot, 'fixtures/charts/k8ssandra');
const TARGET = '127.0.0.1:5000/mirror';
const work = mkdtempSync(path.join(os.tmpdir(), 'airlift-outputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string): string => path.join(work, `${++n}-${name}`);

function fifo(name: string): string {
  const p = fresh(name);
  execFileSync('mkfifo', [p]);
  return p;
}

/**
 * A character device no other process relies on: as root a null device (1,3) made in the work
 * directory, so a defect that replaced it harms nothing shared; otherwise /dev/null itself, which a
 * rename cannot replace without root (the old code then failed with EACCES instead of writing).
 */
function charDevice(): string {
  if (process.getuid?.() !== 0) return '/dev/null';
  const p = fresh('null');
  execFileSync('mknod', [p, 'c', '1', '3']);
  return p;
}

/** Reads everything written into a FIFO, by a `cat` that opens it before the writer does. */
function drain(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    cat.stdout.on('data', (c: Buffer) => chunks.push(c));
    cat.on('error', reject);
    cat.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`cat ${file} exited ${code}`))));
  });
}

describe('outputs that are not regular files', () => {
  it('relocate -o FIFO writes into the FIFO, which stays a FIFO', async () => {
    const out = fifo('overrides.yaml');
    const read = drain(out);
    const r = await runCli(['relocate', CHART, '--to', TARGET, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((await read).toString()).toContain(`# Mirror: ${TARGET}`);
    expect(lstatSync(out).isFIFO()).toBe(true);
  });

  it('relocate -o on a character device writes into it, and it stays a character device', async () => {
    const dev = charDevice();
    const r = await runCli(['relocate', CHART, '--to', TARGET, '-o', dev]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(statSync(dev).isCharacterDevice()).toBe(true);
  });

  it('relocate -o DIR is refused before any work (exit 2), naming the flag; the directory is untouched', async () => {
    const dir = fresh('out-dir');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'keep'), 'x');
    const r = await runCli(['relocate', CHART, '--to', TARGET, '-o', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error \\[E_USAGE\\]: -o ${dir} is a directory`, 'm'));
    expect(readdirSync(dir)).toEqual(['keep']);
  });

  it('relocate --secret-out FIFO and an --emit-dir file that is a FIFO are written into', async () => {
    const secret = fifo('secret.yaml');
    const emitDir = fresh('emit');
    mkdirSync(emitDir);
    execFileSync('mkfifo', [path.join(emitDir, 'registries.conf')]);
    const reads = [drain(secret), drain(path.join(emitDir, 'registries.conf'))];
    const r = await runCli(
      ['relocate', CHART, '--to', TARGET, '-o', fresh('o.yaml'), '--pull-secret', 'p', '--secret-out', secret, '--username', 'u', '--password-stdin', '--emit', 'registries-conf', '--emit-dir', emitDir],
      { stdin: 'pw\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    const [s, conf] = await Promise.all(reads);
    expect(s!.toString()).toContain('kubernetes.io/dockerconfigjson');
    expect(conf!.toString()).toContain('[[registry]]');
    expect(lstatSync(secret).isFIFO()).toBe(true);
    expect(lstatSync(path.join(emitDir, 'registries.conf')).isFIFO()).toBe(true);
  });

  it('relocate --secret-out - writes the Secret to stdout; with the overrides also on stdout it is refused', async () => {
    const o = fresh('o.yaml');
    const r = await runCli(['relocate', CHART, '--to', TARGET, '-o', o, '--pull-secret', 'p', '--secret-out', '-', '--username', 'u', '--password-stdin'], { stdin: 'pw\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kubernetes.io/dockerconfigjson');
    expect(readdirSync(work)).not.toContain('-');
    const both = await runCli(['relocate', CHART, '--to', TARGET, '--pull-secret', 'p', '--secret-out', '-', '--username', 'u', '--password-stdin'], { stdin: 'pw\n' });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/both go to stdout/);
  });

  it('relocate --emit-dir naming a file is refused', async () => {
    const file = fresh('file');
    writeFileSync(file, 'keep');
    const r = await runCli(['relocate', CHART, '--to', TARGET, '-o', fresh('o.yaml'), '--emit', 'containerd', '--emit-dir', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--emit-dir .* is not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });

  it('lock merge -o FIFO writes into it; -o DIR is refused', async () => {
    const lock = fresh('a.lock.json');
    writeFileSync(lock, JSON.stringify({ version: 1, generator: 'test', images: [] }));
    const out = fifo('merged.json');
    const read = drain(out);
    const r = await runCli(['lock', 'merge', lock, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse((await read).toString())).toMatchObject({ version: 1, images: [] });
    expect(lstatSync(out).isFIFO()).toBe(true);
    const dir = fresh('d');
    mkdirSync(dir);
    const d = await runCli(['lock', 'merge', lock, '-o', dir]);
    expect(d.code, d.stderr).toBe(2);
    expect(d.stderr).toMatch(/-o .* is a directory/);
  });

  it('load --lock-out DIR is refused before the bundle is opened or anything pushed', async () => {
    const dir = fresh('d');
    mkdirSync(dir);
    const r = await runCli(['load', fresh('missing.tar'), '--to', '127.0.0.1:9/m', '--lock-out', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--lock-out .* is a directory/);
  });

  it('a bundle written to a FIFO or a character device: the archive goes into it, the node stays, no staging is left', async () => {
    const sample = sampleBundle('example.com/team/app:1.0');
    const src = fresh('src.tar');
    await writeBundle(src, sample.entries);
    const out = fifo('bundle.tar');
    const read = drain(out);
    const r = await runCli(['copy', `oci-archive:${src}:example.com/team/app:1.0`, `oci-archive:${out}:example.com/team/app:1.0`]);
    expect(r.code, r.stderr).toBe(0);
    const copied = fresh('copied.tar');
    writeFileSync(copied, await read);
    expect(lstatSync(out).isFIFO()).toBe(true);
    // what came out of the FIFO is a whole bundle holding the image
    const back = await runCli(['copy', `oci-archive:${copied}:example.com/team/app:1.0`, `oci:${fresh('layout')}:x`]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.trim()).toBe(sample.manifestDigest);
    expect(readdirSync(work).filter((f) => f.includes('airlift-staging'))).toEqual([]);

    const dev = charDevice();
    const d = await runCli(['copy', `oci-archive:${src}:example.com/team/app:1.0`, `oci-archive:${dev}:example.com/team/app:1.0`]);
    expect(d.code, d.stderr).toBe(0);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
  });
});

describe('a bundle written to - (stdout)', () => {
  it('copy to oci-archive:- puts the whole archive on stdout and nothing else (the digest goes to stderr)', async () => {
    const sample = sampleBundle('example.com/team/app:1.0');
    const src = fresh('src.tar');
    await writeBundle(src, sample.entries);
    const r = await runCli(['copy', `oci-archive:${src}:example.com/team/app:1.0`, 'oci-archive:-:example.com/team/app:1.0'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${sample.manifestDigest} to stdout`);
    const copied = fresh('from-stdout.tar');
    writeFileSync(copied, r.stdoutBuffer);
    const back = await runCli(['copy', `oci-archive:${copied}:example.com/team/app:1.0`, `oci:${fresh('layout')}:x`]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.trim()).toBe(sample.manifestDigest);
    expect(readdirSync(work)).not.toContain('-');
  });

  it('is refused when stdout is a terminal (exit 2), before anything is fetched', async () => {
    const save = await runCli(['save', '--image', '127.0.0.1:9/a/b:1', '-o', '-'], { stdoutIsTTY: true });
    expect(save.code, save.stderr).toBe(2);
    expect(save.stderr).toMatch(/would write a tar archive to the terminal/);
    const copy = await runCli(['copy', 'oci:nowhere', 'oci-archive:-'], { stdoutIsTTY: true });
    expect(copy.code).toBe(2);
  });
});

describe('writeOutput', () => {
  it('replaces a regular file atomically with the mode asked, and follows a symlink without replacing it', async () => {
    const file = fresh('f.txt');
    writeFileSync(file, 'old');
    await writeOutput(file, 'new', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const link = fresh('link.txt');
    symlinkSync(file, link);
    await writeOutput(link, 'via link');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('via link');
  });

  it('refuses a missing parent directory (unless mkdir) and a directory; a device is a stream', async () => {
    await expect(resolveOutput(path.join(fresh('none'), 'x'), { label: '-o' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(resolveOutput(work, { label: '--lock-out' })).rejects.toMatchObject({ code: 'E_USAGE' });
    await writeOutput(path.join(fresh('made'), 'sub', 'x'), 'x', { mkdir: true });
    expect((await resolveOutput(charDevice())).kind).toBe('stream');
  });
});
