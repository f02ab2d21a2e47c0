/**
 * Loading a differential bundle (`save --since BASE`): before anything is pushed, every layer the
 * bundle leaves out must be at the destination, in the repository that needs it (HEAD) or in
 * another one it can be mounted from (the repositories the base's images and this bundle's images
 * map to). One missing layer fails the load naming every missing one, with nothing pushed; when
 * all are found, the layers to mount are mounted and the copy finds every one of them there.
 */
import type { Bundle } from '../bundle/images.js';
import type { ImageDestination } from '../endpoint/types.js';
import { AirliftError, NotFoundError } from '../errors.js';
import type { LockBase } from '../lock/types.js';
import type { Logger } from '../log.js';
import { mapReference, type MappingMode, type Target } from '../mapping/index.js';
import { isForeignLayer, parseManifest } from '../oci/manifest.js';
import type { Descriptor } from '../oci/types.js';
import { parseReference } from '../reference/index.js';
import type { MirrorPlan } from './plan.js';

export interface BaseCheckInput {
  bundle: Bundle;
  /** The bundle as the user named it. */
  name: string;
  base: LockBase;
  plan: MirrorPlan;
  dest: ImageDestination;
  target: Target;
  mapping: MappingMode;
  logger: Logger;
  signal?: AbortSignal;
}

/** The layers of an image (index children walked) that the bundle does not carry. */
async function leftOutLayers(bundle: Bundle, repo: string, digest: string, signal?: AbortSignal): Promise<Descriptor[]> {
  const out = new Map<string, Descriptor>();
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    if (seen.has(d)) return;
    seen.add(d);
    const raw = await bundle.getManifest(repo, d, signal);
    const m = parseManifest(`manifest ${d}`, raw);
    if (m.kind === 'index') {
      for (const c of m.children) await walk(c.digest);
      return;
    }
    for (const l of m.layers) {
      if (isForeignLayer(l) || out.has(l.digest)) continue;
      if ((await bundle.reader.blobSize(l.digest)) === undefined) out.set(l.digest, l);
    }
  };
  await walk(digest);
  return [...out.values()];
}

/** The destination repositories the base's images were loaded into, under the same --to and --mapping. */
function baseRepos(base: LockBase, target: Target, mapping: MappingMode): string[] {
  const repos = new Set<string>();
  for (const img of base.images) {
    try {
      repos.add(mapReference(parseReference(img.source), target, mapping).repository);
    } catch {
      // a source this mapping cannot place: no candidate
    }
  }
  return [...repos];
}

/** Checks (and where needed mounts) every layer a differential bundle leaves out; throws naming the missing ones before anything is pushed. */
export async function checkBaseLayers(input: BaseCheckInput): Promise<void> {
  const { bundle, base, plan, dest, signal } = input;
  const needs: Array<{ image: string; repo: string; layer: Descriptor }> = [];
  for (const c of plan.copies) {
    if (c.kind !== 'image') continue;
    const layers = await leftOutLayers(bundle, c.from.repo, c.from.reference, signal);
    if (layers.length === 0) continue;
    // the image is there already (tag and digest): the copy skips it, its layers are there too
    const there = await dest.resolveManifest(c.to.repo, c.to.tag, signal);
    if (there?.digest === c.from.reference) continue;
    for (const layer of layers) needs.push({ image: c.source, repo: c.to.repo, layer });
  }
  if (needs.length === 0) return;

  const candidates = [...new Set([...baseRepos(base, input.target, input.mapping), ...plan.copies.filter((c) => c.kind === 'image').map((c) => c.to.repo)])];
  const holder = new Map<string, string | null>(); // digest → a repository holding it (null: none)
  const has = new Map<string, Promise<boolean>>();
  const head = (repo: string, d: Descriptor): Promise<boolean> => {
    const key = `${repo}@${d.digest}`;
    let p = has.get(key);
    if (!p) has.set(key, (p = dest.hasBlob(repo, d, signal)));
    return p;
  };
  const mounts: Array<{ repo: string; layer: Descriptor; from: string }> = [];
  const missing: typeof needs = [];
  for (const n of needs) {
    if (await head(n.repo, n.layer)) continue;
    let from = holder.get(n.layer.digest);
    if (from === undefined) {
      from = null;
      for (const r of candidates) {
        if (r !== n.repo && (await head(r, n.layer))) {
          from = r;
          break;
        }
      }
      holder.set(n.layer.digest, from);
    }
    if (from === null) missing.push(n);
    else mounts.push({ repo: n.repo, layer: n.layer, from });
  }
  if (missing.length) {
    const digests = new Set(missing.map((m) => m.layer.digest));
    const lines = missing.slice(0, 20).map((m) => `  layer ${m.layer.digest} (${m.layer.size} bytes) of ${m.image}, needed in ${m.repo}`);
    if (missing.length > 20) lines.push(`  … and ${missing.length - 20} more`);
    throw new NotFoundError(
      `${input.name} is a differential bundle against ${base.file}${base.sha256 ? ` (${base.sha256})` : ''}: ${dest.description} lacks ${digests.size} of the layers it leaves out, so nothing was pushed:\n${lines.join('\n')}`,
      { hint: `load ${base.file} (and the bundles it was made against) into the same --to with the same --mapping first, then this bundle; or save a full bundle (without --since)` },
    );
  }
  for (const m of mounts) {
    if (!(await dest.mountBlob(m.repo, m.layer, m.from, signal))) {
      throw new AirliftError('E_REGISTRY', `${dest.description} declined to mount layer ${m.layer.digest} from ${m.from} into ${m.repo}, which a differential bundle needs there`, {
        hint: 'allow cross-repository mounts at the registry, or load a full bundle (save without --since)',
      });
    }
  }
  input.logger.log('info', `${input.name}: differential against ${base.file}; ${new Set(needs.map((n) => n.layer.digest)).size} layers it leaves out are at ${dest.description}${mounts.length ? ` (${mounts.length} mounted)` : ''}`);
}
