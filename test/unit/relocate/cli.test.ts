/** `airlift relocate` through the CLI in-process: outputs, files, flags and failures. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../helpers/io.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const chart = path.join(repoRoot, 'fixtures/charts/k8ssandra');
if (!existsSync(path.join(chart, 'Chart.yaml'))) throw new Error(`K8ssandra fixture missing at ${chart}`);
const work = mkdtempSync(path.join(tmpdir(), 'airlift-relocate-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TARGET = '127.0.0.1:5000/mirror';
let n = 0;
/** A path under the work directory that does not exist yet. */
const fresh = (): string => path.join(work, `case-${++n}`);

describe('airlift relocate', () => {
  it('writes the overrides to stdout with -o - or no -o', async () => {
    const a = await runCli(['relocate', chart, '--to', TARGET]);
    const b = await runCli(['relocate', chart, '--to', TARGET, '-o', '-']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain(`# Mirror: ${TARGET}`);
    const doc = parse(a.stdout) as { cassandra: { image: { registry: string } } };
    expect(doc.cassandra.image.registry).toBe(TARGET);
    // The template literal cannot be relocated by values: said on stderr and in the header.
    expect(a.stderr).toMatch(/not relocatable by values: docker\.io\/library\/busybox:1\.36 .*--emit containerd/);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const dir = fresh();
    const out = path.join(work, `dry-${n}.yaml`);
    const secret = path.join(work, `dry-secret-${n}.yaml`);
    const r = await runCli(
      ['relocate', chart, '--to', TARGET, '--dry-run', '-o', out, '--pull-secret', 'mirror-pull', '--secret-out', secret, '--username', 'u', '--password-stdin', '--emit', 'containerd', '--emit-dir', dir],
      { stdin: 'pw-never-shown\n' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`relocation plan: k8ssandra-`);
    expect(r.stdout).toMatch(/cassandra\.image\s+object\s+docker\.io\/k8ssandra\/cass-management-api:4\.0\.1\s+127\.0\.0\.1:5000\/mirror\/k8ssandra\/cass-management-api:4\.0\.1/);
    expect(r.stdout).toContain('global.imagePullSecrets = [{"name":"mirror-pull"}]');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(secret)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    const y = await runCli(['relocate', chart, '--to', TARGET, '--dry-run', '--plan-format', 'yaml']);
    expect((parse(y.stdout) as { target: string }).target).toBe(TARGET);
  });

  it('--secret-out writes a 0600 Secret and never prints the password', async () => {
    const out = path.join(work, 'secret-overrides.yaml');
    const secret = path.join(work, 'pull-secret.yaml');
    const password = 'Very-s3cret-pw';
    const r = await runCli(
      ['--verbose', 'relocate', chart, '--to', TARGET, '-o', out, '--pull-secret', 'mirror-pull', '--secret-out', secret, '--username', 'ci', '--password-stdin', '--namespace', 'db'],
      { stdin: `${password}\n` },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    const text = readFileSync(secret, 'utf8');
    expect(text).not.toContain(password);
    const doc = parse(text) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
    expect(doc.metadata).toMatchObject({ name: 'mirror-pull', namespace: 'db' });
    expect(Buffer.from(doc.data.password!, 'base64').toString()).toBe(password);
    expect(Buffer.from(doc.data.registry!, 'base64').toString()).toBe('127.0.0.1:5000');
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--digests --lock pins each image to the digest in the lock', async () => {
    const scan = await runCli(['images', chart, '--no-annotations', '--no-templates', '-o', 'json']);
    const refs = (JSON.parse(scan.stdout) as { images: { ref: string }[] }).images.map((i) => i.ref);
    const digestOf = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;
    const lock = {
      version: 1,
      generator: 'test',
      target: TARGET,
      charts: [],
      images: refs.map((source, i) => ({ source, digest: digestOf(i + 1), mediaType: 'application/vnd.oci.image.index.v1+json', size: 100, platforms: [] })),
    };
    const lockFile = path.join(work, 'landed.lock.json');
    writeFileSync(lockFile, JSON.stringify(lock));
    const out = path.join(work, 'pinned.yaml');
    const r = await runCli(['relocate', chart, '--to', TARGET, '--digests', '--lock', lockFile, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const after = await runCli(['images', chart, '--no-annotations', '--no-templates', '-f', out, '-o', 'json']);
    const pinned = (JSON.parse(after.stdout) as { images: { ref: string }[] }).images.map((i) => i.ref).sort();
    const expected = refs.map((ref, i) => `${ref.replace(/^[^/]+\//, `${TARGET}/`)}@${digestOf(i + 1)}`).sort();
    expect(pinned).toEqual(expected);
  });

  it('an image missing from the lock fails before any file is written', async () => {
    const lockFile = path.join(work, 'empty.lock.json');
    writeFileSync(lockFile, JSON.stringify({ version: 1, generator: 'test', charts: [], images: [] }));
    const out = path.join(work, 'never.yaml');
    const r = await runCli(['relocate', chart, '--to', TARGET, '--digests', '--lock', lockFile, '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no digest known for docker\.io\/.+ it is not in the lock/);
    expect(existsSync(out)).toBe(false);
  });

  it('--emit containerd writes one hosts.toml per source registry; registries-conf one file', async () => {
    const dir = path.join(work, 'certs.d');
    const r = await runCli(['relocate', chart, '--to', TARGET, '-o', path.join(work, 'o.yaml'), '--emit', 'containerd', '--emit-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['docker.io', 'quay.io']);
    expect(readFileSync(path.join(dir, 'docker.io/hosts.toml'), 'utf8')).toContain('[host."https://127.0.0.1:5000/v2/mirror"]');
    const conf = path.join(work, 'conf');
    const c = await runCli(['--plain-http', '127.0.0.1:5000', 'relocate', chart, '--to', TARGET, '-o', path.join(work, 'o2.yaml'), '--emit', 'registries-conf', '--emit-dir', conf]);
    expect(c.code, c.stderr).toBe(0);
    expect(readFileSync(path.join(conf, 'registries.conf'), 'utf8')).toContain('location = "127.0.0.1:5000/mirror"\ninsecure = true');
  });

  it('refuses flag combinations that cannot work, with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--secret-out', 's.yaml'], /--secret-out needs --username/],
      [['--secret-out', 's.yaml', '--username', 'u'], /--secret-out needs --password-stdin/],
      [['--username', 'u'], /used only with --secret-out/],
      [['--lock', 'x.json'], /--lock is used only with --digests/],
      [['--emit', 'containerd'], /needs --emit-dir/],
      [['--pull-secret', 'Not_Valid'], /not a valid Kubernetes name/],
      [['--mapping', 'sideways'], /invalid mapping mode/],
    ];
    for (const [extra, msg] of cases) {
      const r = await runCli(['relocate', chart, '--to', TARGET, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr, extra.join(' ')).toMatch(msg);
    }
    const bad = await runCli(['relocate', chart, '--to', 'https://mirror']);
    expect(bad.code).toBe(2);
    const missing = await runCli(['relocate', path.join(work, 'no-such-chart'), '--to', TARGET]);
    expect(missing.code).toBe(5);
  });

  it('refuses --helm and --kube-version without --check, and --report - when stdout carries the overrides', async () => {
    for (const [args, msg] of [
      [['--helm', '/usr/bin/helm'], /--helm is used only with --check/],
      [['--kube-version', 'v1.34.0'], /--kube-version is used only with --check/],
      [['--report', '-'], /--report - needs stdout/],
      [['--report', '-', '--dry-run', '-o', path.join(work, 'x.yaml')], /--report - needs stdout/],
    ] as const) {
      const r = await runCli(['relocate', chart, '--to', TARGET, ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('--report - prints the JSON report on stdout when the overrides go to a file', async () => {
    const out = path.join(work, `report-${++n}.yaml`);
    const r = await runCli(['relocate', chart, '--to', TARGET, '-o', out, '--report', '-']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { relocated: unknown[]; notMoved: { image: string }[]; complete: boolean };
    expect(report.relocated.length).toBeGreaterThan(0);
    expect(report.notMoved.map((u) => u.image)).toEqual(['docker.io/library/busybox:1.36']);
    expect(report.complete).toBe(false);
  });

  it('warns and, with --strict, exits 12 when nothing is relocated', async () => {
    const empty = path.join(work, 'empty-chart');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(empty, 'templates'), { recursive: true });
    writeFileSync(path.join(empty, 'Chart.yaml'), 'apiVersion: v2\nname: empty\nversion: 0.1.0\n');
    writeFileSync(path.join(empty, 'values.yaml'), 'replicas: 1\n');
    const loose = await runCli(['relocate', empty, '--to', TARGET, '-o', path.join(work, 'empty.yaml')]);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stderr).toMatch(/warn: relocated nothing/);
    const strict = await runCli(['relocate', empty, '--to', TARGET, '-o', path.join(work, 'empty-strict.yaml'), '--strict']);
    expect(strict.code).toBe(12);
    expect(strict.stderr).toMatch(/E_INCOMPLETE.*--strict: no image relocated/);
  });
});
