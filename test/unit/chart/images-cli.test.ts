import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { sharedPath } from '../../helpers/shared.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const k8ssandra = path.join(repoRoot, 'fixtures/charts/k8ssandra');
const tmp = mkdtempSync(path.join(tmpdir(), 'airlift-images-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('airlift images', () => {
  it('-o list (default when piped): sorted, unique, fully qualified', async () => {
    const r = await runCli(['images', k8ssandra, '--no-annotations']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual([...new Set(lines)].sort());
    expect(lines).toContain('docker.io/library/busybox:1.36');
    expect(lines).toContain('quay.io/prometheus-operator/prometheus-operator:v0.44.0');
    // medusa (medusa.enabled false) and the reaper subchart (condition false) are not rendered
    expect(lines).not.toContain('docker.io/k8ssandra/medusa:0.11.3');
    expect(lines).not.toContain('docker.io/thelastpickle/cassandra-reaper:3.0.1');
    expect(lines).toHaveLength(15);
    const all = await runCli(['images', k8ssandra, '--no-annotations', '--all-values']);
    expect(all.stdout.trimEnd().split('\n')).toEqual([...lines, 'docker.io/k8ssandra/medusa:0.11.3', 'docker.io/thelastpickle/cassandra-reaper:3.0.1'].sort());
  });

  it('-o table is the default on a terminal', async () => {
    const r = await runCli(['images', k8ssandra, '--all-values'], { stdoutIsTTY: true });
    expect(r.stdout.split('\n')[0]).toMatch(/^IMAGE\s+SOURCE$/);
    expect(r.stdout).toMatch(/docker\.io\/thelastpickle\/cassandra-reaper:3\.0\.1\s+k8ssandra\/reaper: reaper\.image \(not rendered with these values, disabled\)/);
  });

  it('-o json has the documented shape with dotted paths', async () => {
    const r = await runCli(['images', k8ssandra, '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { images: Record<string, unknown>[]; errors: unknown[] };
    expect(Object.keys(doc)).toEqual(['images', 'errors', 'warnings']);
    const po = doc.images.find((i) => i.ref === 'quay.io/prometheus-operator/prometheus-operator:v0.44.0')!;
    expect(po).toEqual({
      ref: 'quay.io/prometheus-operator/prometheus-operator:v0.44.0',
      registry: 'quay.io',
      repository: 'prometheus-operator/prometheus-operator',
      tag: 'v0.44.0',
      digest: null,
      sources: [{ chart: 'k8ssandra/kube-prometheus-stack', file: path.join(k8ssandra, 'values.yaml'), path: 'kube-prometheus-stack.prometheusOperator.image', kind: 'values' }],
    });
    expect(doc.errors).toEqual([]);
  });

  it('-o yaml, --hosts, -f and --set with relative paths', async () => {
    // global.imageRegistry replaces the registry of every image map that has a `registry` key
    writeFileSync(path.join(tmp, 'over.yaml'), 'global:\n  imageRegistry: mirror.example:5000\n');
    const y = await runCli(['images', 'fixtures/charts/k8ssandra', '-o', 'yaml', '-f', path.join(tmp, 'over.yaml')], { cwd: repoRoot });
    expect(y.stdout).toMatch(/ref: mirror.example:5000\/stargateio\/stargate-4_0:v1.0.45/);
    expect(y.stdout).toMatch(/ref: mirror.example:5000\/k8ssandra\/cass-operator:v1.8.0/);
    expect(y.stdout).toMatch(/ref: quay.io\/prometheus\/prometheus:v2.22.1/);
    const h = await runCli(['images', k8ssandra, '--hosts', '--set', 'stargate.image.registry=mirror.example:5000']);
    // the hosts airlift connects to beside the names the images use: Docker Hub is served by registry-1.docker.io
    expect(h.stdout).toBe('auth.docker.io\ndocker.io\nmirror.example:5000\nproduction.cloudflare.docker.com\nquay.io\nregistry-1.docker.io\n');
  });

  it('--set-json and --set-file, in helm order: -f < --set-json < --set < --set-string < --set-file; --set-file paths relative to the working directory', async () => {
    const dir = path.join(tmp, 'setfile');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'tag.txt'), 'v9.9.9');
    const json = ['--set-json', 'stargate.image={"registry":"json.example","repository":"team/stargate","tag":"v2"}'];
    const j = await runCli(['images', k8ssandra, '--no-annotations', ...json]);
    expect(j.stdout).toContain('json.example/team/stargate:v2\n');
    // --set wins over --set-json for the key it names; the rest of the JSON stays
    const s = await runCli(['images', k8ssandra, '--no-annotations', ...json, '--set', 'stargate.image.tag=v3']);
    expect(s.stdout).toContain('json.example/team/stargate:v3\n');
    // --set-file wins over both, read relative to the working directory
    const f = await runCli(['images', k8ssandra, '--no-annotations', ...json, '--set', 'stargate.image.tag=v3', '--set-file', 'stargate.image.tag=tag.txt'], { cwd: dir });
    expect(f.stdout).toContain('json.example/team/stargate:v9.9.9\n');
    const missing = await runCli(['images', k8ssandra, '--set-file', 'stargate.image.tag=nope.txt'], { cwd: dir });
    expect(missing.code).toBe(EXIT_CODES.E_NOT_FOUND);
    expect(missing.stderr).toContain('--set-file nope.txt cannot be read');
    const bad = await runCli(['images', k8ssandra, '--set-json', 'stargate.image.tag=v1']);
    expect(bad.code).toBe(EXIT_CODES.E_USAGE);
    expect(bad.stderr).toContain('is not JSON');
  });

  it('--hints evaluates templates against the coalesced values (subcharts under their alias)', async () => {
    const hints = path.join(tmp, 'hints.yaml');
    writeFileSync(hints, '- "{{ .reaper.image.registry }}/{{ .reaper.image.repository }}:{{ .reaper.image.tag }}"\n- "{{ .extra.image }}:{{ .Chart.AppVersion }}"\n');
    const r = await runCli(['images', k8ssandra, '--hints', hints, '--set', 'extra.image=org/extra', '-o', 'json', '--all-values']);
    const doc = JSON.parse(r.stdout) as { images: { ref: string; sources: { path: string; kind: string }[] }[] };
    const reaper = doc.images.find((i) => i.ref === 'docker.io/thelastpickle/cassandra-reaper:3.0.1')!;
    expect(reaper.sources.map((s) => `${s.kind} ${s.path}`)).toEqual(['values reaper.image', 'hints reaper.image']);
    expect(doc.images.find((i) => i.ref === 'docker.io/org/extra:1.6.1')!.sources[0]).toMatchObject({ kind: 'hints', path: 'extra' });
  });

  it('reads rendered manifests from stdin with "-"', async () => {
    const r = await runCli(['images', '-'], { stdin: 'kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:1.25"}, {name: b, image: "nginx:1.25"}]\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('docker.io/library/nginx:1.25\n');
    // runtime images in args and env, and custom-resource image fields, are found in rendered manifests too
    const manifests = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: ctl}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: ctl',
      '          image: quay.io/org/ctl:1.0',
      '          args: ["--solver-image=quay.io/org/solver:1.0", "--other=x"]',
      '          env: [{name: AGENT_IMAGE, value: "org/agent:2.0"}, {name: LOG_LEVEL, value: "debug"}]',
      '---',
      'apiVersion: example.io/v1',
      'kind: Cluster',
      'metadata: {name: c}',
      'spec: {serverImage: "org/server:3.1"}',
      '',
    ].join('\n');
    const j = await runCli(['images', '-', '-o', 'json'], { stdin: manifests });
    const doc = JSON.parse(j.stdout) as { images: { ref: string; sources: { where?: string[]; runtime?: boolean }[] }[] };
    expect(doc.images.map((i) => [i.ref, i.sources[0]!.where, i.sources[0]!.runtime ?? false])).toEqual([
      ['docker.io/org/agent:2.0', ['Deployment/ctl containers[ctl] env AGENT_IMAGE'], true],
      ['docker.io/org/server:3.1', ['Cluster/c spec.serverImage'], false],
      ['quay.io/org/ctl:1.0', ['Deployment/ctl containers[ctl]'], false],
      ['quay.io/org/solver:1.0', ['Deployment/ctl containers[ctl] arg --solver-image'], true],
    ]);
  });

  it('"-" with an empty stdin (helm template failed before the pipe) is an error, not an empty list; stdin with no Kubernetes object warns', async () => {
    for (const stdin of ['', '\n  \n']) {
      const r = await runCli(['images', '-'], { stdin });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('error [E_INPUT]: "-": stdin is empty, there are no rendered manifests to list images from');
      expect(r.stderr).toContain('hint: pipe rendered manifests into it (helm template RELEASE CHART | airlift images -)');
    }
    const notManifests = await runCli(['images', '-'], { stdin: 'note: nothing was rendered\n' });
    expect(notManifests.code).toBe(0);
    expect(notManifests.stderr).toContain('warning: stdin: no Kubernetes object in the rendered manifests');
    expect((await runCli(['images', '-', '--strict'], { stdin: 'a: b\n' })).code).toBe(3);
    // objects that run no container are manifests all the same: nothing to warn about
    const configOnly = await runCli(['images', '-', '--strict'], { stdin: 'kind: ConfigMap\nmetadata: {name: c}\n' });
    expect([configOnly.code, configOnly.stderr]).toEqual([0, '']);
  });

  it('malformed references: valid ones on stdout, the bad one on stderr with file and path; --strict fails', async () => {
    mkdirSync(path.join(tmp, 'bad'), { recursive: true });
    writeFileSync(path.join(tmp, 'bad/Chart.yaml'), 'name: bad\nversion: 1.0.0\n');
    writeFileSync(path.join(tmp, 'bad/values.yaml'), 'good:\n  image: nginx:1\nbroken:\n  image:\n    repository: Upper/Case\n    tag: "1"\n');
    const r = await runCli(['images', path.join(tmp, 'bad')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('docker.io/library/nginx:1\n');
    expect(r.stderr).toContain(`${path.join(tmp, 'bad/values.yaml')} at broken.image: "Upper/Case:1": repository name must be lowercase`);
    const j = await runCli(['images', path.join(tmp, 'bad'), '-o', 'json']);
    expect((JSON.parse(j.stdout) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['broken.image']);
    const s = await runCli(['images', path.join(tmp, 'bad'), '--strict']);
    expect(s.code).toBe(EXIT_CODES.E_INPUT);
    expect(s.stdout).toBe('docker.io/library/nginx:1\n');
  });

  it('--no-builtin-hints leaves the generic appVersion default (sonarqube corpus chart)', async () => {
    const chart = sharedPath('corpus/charts/sonarqube');
    const on = await runCli(['images', chart, '--no-annotations']);
    expect(on.stdout).toContain('docker.io/library/sonarqube:2026.4.0-developer\n');
    expect(on.stdout).not.toContain('docker.io/library/sonarqube:2026.4.0\n');
    const off = await runCli(['images', chart, '--no-annotations', '--no-builtin-hints']);
    expect(off.stdout).toBe('docker.io/library/sonarqube:2026.4.0\ndocker.io/sonarsource/sonarqube-mcp:1.22.0.3040\n');
    const pinned = await runCli(['images', chart, '--no-annotations', '--set-string', 'image.tag=2025.1.0-enterprise']);
    expect(pinned.stdout).toContain('docker.io/library/sonarqube:2025.1.0-enterprise\n');
  });

  it('bad input: missing chart, bad --set, bad output format', async () => {
    expect((await runCli(['images', path.join(tmp, 'none')])).code).toBe(EXIT_CODES.E_NOT_FOUND);
    const bad = await runCli(['images', k8ssandra, '--set', 'a[x]=1']);
    expect(bad.code).toBe(EXIT_CODES.E_USAGE);
    expect(bad.stderr).toMatch(/--set "a\[x\]=1"/);
    expect((await runCli(['images', k8ssandra, '-o', 'xml'])).code).toBe(EXIT_CODES.E_USAGE);
  });
});
