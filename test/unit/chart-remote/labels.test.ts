/**
 * A fetched chart is scanned from a temporary .tgz: `images` names it by the reference the user gave
 * (listImages' chartLabels), in its output, its warnings and errors, and in an error the scan throws.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImages } from '../../../src/chart/list.js';
import { fetchedChartLabel, relabelChartPaths } from '../../../src/chart/remote/fetching.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../../fixtures/charts/k8ssandra/charts/medusa-operator-0.30.0.tgz');
const LABEL = 'oci://127.0.0.1:5000/charts/medusa-operator:0.30.0';
let dir: string;
let tgz: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-charts-label-'));
  tgz = path.join(dir, 'medusa-operator-0.30.0.tgz');
  await copyFile(FIXTURE, tgz);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = { valuesFiles: [], set: [], setString: [], setJson: [], setFile: [], baseDir: '/', enabledOnly: false, allValues: false, annotations: true, templates: true, builtinHints: true, hosts: false, strict: false };

describe('a fetched chart named by its reference', () => {
  it('json and yaml name the reference and the file inside it, never the temporary path', async () => {
    for (const format of ['json', 'yaml'] as const) {
      const r = await listImages({ ...base, charts: [tgz], chartLabels: new Map([[tgz, LABEL]]), format });
      expect(r.result.images.length).toBeGreaterThan(0);
      expect(r.output).toContain(`${LABEL}!/medusa-operator/`);
      expect(r.output + r.warnings + r.errors).not.toContain(dir);
    }
    // without labels (a local chart) the path is what it is
    const plain = await listImages({ ...base, charts: [tgz], format: 'json' });
    expect(plain.output).toContain(`${tgz}!/medusa-operator/`);
  });

  it('an error the scan throws names the reference', async () => {
    const gone = path.join(dir, 'gone-1.0.0.tgz');
    const err = await listImages({ ...base, charts: [gone], chartLabels: new Map([[gone, 'team/gone 1.0.0']]), format: 'list' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('team/gone 1.0.0');
    expect((err as Error).message).not.toContain(dir);
  });

  it('labels: an OCI reference with its version, REPO/CHART VERSION, the chart URL for --repo', () => {
    const got = (source: string) => ({ name: 'app', version: '1.2.3', tgz: Buffer.alloc(0), sha256: 'sha256:0', source });
    expect(fetchedChartLabel({ chart: 'oci://127.0.0.1:5000/charts/app', version: '1.x' }, got('oci://127.0.0.1:5000/charts/app:1.2.3'))).toBe('oci://127.0.0.1:5000/charts/app:1.2.3');
    expect(fetchedChartLabel({ chart: 'team/app', version: '~1.2' }, got('https://127.0.0.1:8443/charts/app-1.2.3.tgz'))).toBe('team/app 1.2.3');
    expect(fetchedChartLabel({ repository: 'https://127.0.0.1:8443/charts', chart: 'app' }, got('https://127.0.0.1:8443/charts/app-1.2.3.tgz'))).toBe('https://127.0.0.1:8443/charts/app-1.2.3.tgz');
    expect(relabelChartPaths('/tmp/x/1/app.tgz!/app/values.yaml and /tmp/x/1/app.tgz', new Map([['/tmp/x/1/app.tgz', 'team/app 1.2.3']]))).toBe('team/app 1.2.3!/app/values.yaml and team/app 1.2.3');
  });
});
