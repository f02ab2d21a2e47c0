/**
 * The benchmark's data sets, generated with the fixture generator and cached
 * under .tmp/bench-data/<key>/ so that re-runs skip generation. A layout is
 * complete when its summary.json exists (written last).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AMD64, ARM64, DEFAULT_SEED, generateLayout, presetBig, presetMany, presetSingleLayer, type GeneratedImage, type ImageSpec } from '../../fixtures/images/generate.js';

export interface DataSet {
  key: string;
  /** OCI layout directory. */
  dir: string;
  images: GeneratedImage[];
  /** digest → size of every distinct blob. */
  blobs: Array<[string, number]>;
  totalBytes: number;
}

const MiB = 1024 * 1024;

/** presetBig with every layer divided by `div` (the --quick variant). */
function scaledBig(div: number): ImageSpec[] {
  return presetBig().map((s) => ({ ...s, layers: s.layers.map((l) => ({ ...l, size: Math.max(1024, Math.round(l.size / div)) })) }));
}

export interface SetDef {
  key: string;
  specs: () => ImageSpec[];
}

export function setDefs(quick: boolean): { big: SetDef; many: SetDef; huge: SetDef; small: SetDef } {
  return quick
    ? {
        big: { key: 'big-div8', specs: () => scaledBig(8) },
        many: { key: 'many-50', specs: () => presetMany(50) },
        huge: { key: 'huge-256m', specs: () => presetSingleLayer(256 * MiB) },
        small: { key: 'huge-32m', specs: () => presetSingleLayer(32 * MiB) },
      }
    : {
        big: { key: 'big', specs: () => presetBig() },
        many: { key: 'many-200', specs: () => presetMany(200) },
        huge: { key: 'huge-1g', specs: () => presetSingleLayer(1024 * MiB) },
        small: { key: 'huge-64m', specs: () => presetSingleLayer(64 * MiB) },
      };
}

/**
 * The scale set of n images (issue 22): small images on 20 shared 16 KiB bases, each with a
 * 2 KiB layer of its own; every 5th in Docker schema 2, every 100th a two-platform index.
 * The first 200 images of the 2,000 set are the 200 set.
 */
export function presetScale(n: number): ImageSpec[] {
  const width = String(n).length < 5 ? 5 : String(n).length;
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return {
      name: `scale/app-${String(i).padStart(width, '0')}`,
      tag: '1.0',
      format: i % 5 === 0 ? ('docker' as const) : ('oci' as const),
      layers: [{ id: `scale-base-${i % 20}`, size: 16 * 1024 }, { size: 2 * 1024 }],
      ...(i % 100 === 0 ? { platforms: [AMD64, ARM64] } : {}),
    };
  });
}

/** The data set named `scale-N`. */
export function scaleDef(name: string): SetDef {
  const n = Number(/^scale-(\d+)$/.exec(name)?.[1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`unknown data set ${JSON.stringify(name)}`);
  return { key: `scale-${n}`, specs: () => presetScale(n) };
}

export async function dataSet(root: string, def: SetDef, log: (s: string) => void): Promise<DataSet> {
  const dir = path.join(root, `${def.key}-${DEFAULT_SEED}`);
  const layoutDir = path.join(dir, 'layout');
  const summaryFile = path.join(dir, 'summary.json');
  if (existsSync(summaryFile)) {
    return JSON.parse(await readFile(summaryFile, 'utf8')) as DataSet;
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  log(`generating data set ${def.key} in ${dir} …`);
  const started = Date.now();
  const layout = await generateLayout(layoutDir, def.specs());
  const set: DataSet = { key: def.key, dir: layoutDir, images: layout.images, blobs: [...layout.blobSizes], totalBytes: layout.totalBytes };
  await writeFile(summaryFile, JSON.stringify(set));
  log(`generated ${def.key}: ${set.images.length} images, ${set.blobs.length} blobs, ${(set.totalBytes / MiB).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return set;
}
