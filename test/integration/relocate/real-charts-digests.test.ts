/**
 * Acceptance with --digests on the ten real charts (default and scenario
 * values): a real registry (the harness's plain docker-registry on loopback)
 * holds a small synthetic image under the mirror path of every image helm
 * renders from the charts and of every image `airlift images` lists for them
 * (what a sync copies), each with its own config, so each digest is its own; `airlift relocate --digests` asks the mirror for them, and helm
 * renders every image at every place as the mirror reference with the
 * original path, pinned to the digest the mirror holds (with the original tag
 * where the chart keeps one next to the digest).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, seedRegistry } from '../../../fixtures/images/generate.js';
import type { ImageSpec } from '../../../fixtures/images/spec.js';
import { mapReference, parseTarget } from '../../../src/mapping/index.js';
import { checkRendered } from '../../../src/relocate/check.js';
import { formatReference, parseReference } from '../../../src/reference/index.js';
import { useRegistry } from '../../harness/use-registry.js';
import { runCli } from '../../helpers/io.js';
import { byWhere, expectRelocated, helmTemplate, realCases, type ReportJson } from './real-charts.js';

const reg = useRegistry('plain');
const PREFIX = 'airgap';
const SECRET = 'mirror-pull';
const cases = realCases();
let work = '';
/** Normalised source reference → the digest the mirror holds for it. */
const digests = new Map<string, string>();
const before = new Map<string, Map<string, string[]>>();

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'airlift-real-digests-'));
  const sources = new Set<string>();
  for (const c of cases) {
    const rendered = byWhere(await helmTemplate(c.chart, c.values));
    before.set(c.name, rendered);
    for (const imgs of rendered.values()) for (const i of imgs) sources.add(i);
    // And what a sync of the chart copies: every image airlift finds (disabled parts included).
    const listed = await runCli(['images', c.chart, ...c.values.flatMap((v) => ['-f', v]), '-o', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    for (const i of (JSON.parse(listed.stdout) as { images: { ref: string }[] }).images) sources.add(formatReference(parseReference(i.ref)));
  }
  // One image per mirror path and tag (default mapping: the source path under the prefix; two
  // registries with the same path land on one image, as a sync would have them).
  const byMirror = new Map<string, ImageSpec>();
  for (const src of [...sources].sort()) {
    const ref = parseReference(src);
    const key = `${ref.repository}:${ref.tag ?? 'latest'}`;
    if (!byMirror.has(key)) byMirror.set(key, { name: ref.repository, tag: ref.tag ?? 'latest', format: 'oci', layers: [{ id: 'base', size: 1024 }], labels: { 'airlift.test/source': src } });
  }
  const layout = await generateLayout(path.join(work, 'layout'), [...byMirror.values()]);
  await seedRegistry(path.join(work, 'layout'), reg(), layout.images, { repositoryPrefix: PREFIX });
  const digestOf = new Map(layout.images.map((i) => [`${i.name}:${i.tag}`, i.digest]));
  for (const src of sources) {
    const ref = parseReference(src);
    digests.set(src, digestOf.get(`${ref.repository}:${ref.tag ?? 'latest'}`)!);
  }
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each(cases)('$name', (c) => {
  it('relocated with --digests (asked from the mirror): every image pinned to the digest the mirror holds', async () => {
    const host = reg().host;
    const target = parseTarget(`${host}/${PREFIX}`);
    const slug = c.name.replace(/\W+/g, '-');
    const out = path.join(work, `${slug}.yaml`);
    const reportFile = path.join(work, `${slug}.report.json`);
    const r = await runCli([
      'relocate', c.chart, ...c.values.flatMap((v) => ['-f', v]), '--to', `${host}/${PREFIX}`, '--plain-http', host,
      '--digests', '--pull-secret', SECRET, '-o', out, '--report', reportFile,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as ReportJson;
    const after = await helmTemplate(c.chart, [...c.values, out]);
    // A chart that pins a digest may drop the tag (repo@digest) or keep it (repo:tag@digest): compared
    // without the tag, and a tag kept next to the digest must be the source's tag.
    const sourceOf = new Map([...digests].map(([src, d]) => [d, src]));
    const canon = (m: Map<string, string[]>): Map<string, string[]> =>
      new Map([...m].map(([w, imgs]) => [w, imgs.map((i) => {
        const ref = parseReference(i);
        if (ref.digest && ref.tag !== undefined) expect(ref.tag, `${w}: tag next to the digest`).toBe(parseReference(sourceOf.get(ref.digest) ?? i).tag);
        return ref.digest ? formatReference({ registry: ref.registry, repository: ref.repository, digest: ref.digest }) : i;
      }).sort()]));
    expectRelocated(c.name, before.get(c.name)!, canon(byWhere(after)), report, (i) => {
      const d = digests.get(i);
      if (!d) throw new Error(`no digest seeded for ${i}`);
      const m = mapReference(parseReference(i), target);
      return formatReference({ registry: m.registry, repository: m.repository, digest: d });
    });
    const secrets = checkRendered(after, { target, pullSecrets: [SECRET] }).problems.filter((p) => p.problem === 'no pull secret' || p.problem === 'bad pull secrets');
    expect(secrets, `${c.name}: pods without the pull secret`).toEqual([]);
  });
});
