/**
 * What the scan does when it cannot judge by the templates: a template airlift
 * cannot render (an unknown function, a loop of includes, `fail`) leaves the
 * chart's values images listed, with a warning naming the template; --strict
 * turns the warning into exit 3. Nothing here needs helm: these are airlift's
 * own limits.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { scanCharts } from '../../../src/chart/index.js';
import { runCli } from '../../helpers/io.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'airlift-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function chart(name: string, template: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\nappVersion: "1.0"\n`);
  writeFileSync(path.join(dir, 'values.yaml'), 'image:\n  repository: example/app\n  tag: "2.0"\nother:\n  image: example/other:3.0\n');
  writeFileSync(path.join(dir, 'templates', 'deployment.yaml'), template);
  return dir;
}

const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: app\n      image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n';

describe('templates airlift cannot render', () => {
  it('an unknown function: the values images stay listed, with a warning naming the template', async () => {
    const dir = chart('unknown-fn', `${POD}{{ nosuchfunction . }}\n`);
    const r = await scanCharts([dir]);
    expect(r.images.map((i) => i.formatted)).toEqual(['docker.io/example/app:2.0', 'docker.io/example/other:3.0']);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^unknown-fn: templates\/deployment\.yaml could not be rendered \(.*function "nosuchfunction" not defined\)/);
    const strict = await runCli(['images', dir, '--strict']);
    expect(strict.code).toBe(EXIT_CODES.E_INPUT);
    expect(strict.stderr).toContain('warning: unknown-fn: templates/deployment.yaml could not be rendered');
  });

  it('a define that includes itself stops at a depth limit instead of overflowing the stack', async () => {
    const dir = chart('loop', `{{- define "loop.x" }}{{ include "loop.x" . }}{{ end }}${POD}{{ include "loop.x" . }}\n`);
    const r = await scanCharts([dir]);
    expect(r.warnings[0]).toMatch(/nested deeper than 200/);
    expect(r.images).toHaveLength(2);
  });

  it('a template that calls fail (as helm would refuse these values) is a warning too', async () => {
    const dir = chart('fails', `{{ fail "set image.tag" }}\n${POD}`);
    const r = await scanCharts([dir]);
    expect(r.warnings[0]).toContain('fail: set image.tag');
    expect(r.images).toHaveLength(2);
  });

  it('when the templates render, they judge: other.image, which no pod uses, is left out (--all-values keeps it)', async () => {
    const dir = chart('judged', POD);
    const r = await scanCharts([dir]);
    expect(r.warnings).toEqual([]);
    expect(r.images.map((i) => i.formatted)).toEqual(['docker.io/example/app:2.0']);
    expect(r.findings.find((f) => f.path.join('.') === 'other.image')!.notRendered).toBe(true);
    expect((await scanCharts([dir], { allValues: true })).images).toHaveLength(2);
    // --no-templates: values alone, as before rendering existed
    expect((await scanCharts([dir], { templates: false })).images).toHaveLength(2);
  });
});
