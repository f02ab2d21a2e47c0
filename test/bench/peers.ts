/**
 * The peers airlift is measured against, each with the settings it does its
 * best with on loopback (stated in `settings`, printed under the table):
 * skopeo 1.9 (Debian), and the pinned Go tools of scripts/go-tools.sh: crane,
 * regctl, regsync and oras. Hauler and Zarf do not build here (their modules
 * are refused by the Go module proxy); they are named with that reason.
 *
 * Per-image CLIs (crane copy, regctl image copy/export/import, oras cp) run
 * as `xargs -P N -L 1` over a list written before timing, so that one
 * measured process tree does the whole set (GNU time reports the largest
 * child's peak RSS and the CPU of all of them).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratedImage } from '../../fixtures/images/generate.js';
import { skopeoBinary } from '../harness/skopeo.js';
import { toolBinary } from '../harness/tools.js';
import { measure, measureSteps, type Measured } from './proc.js';
import { skopeoSave, skopeoSync, skopeoSyncPrepare, type Tools } from './tools.js';

/** Parallel processes for per-image CLIs. */
export const PEER_PROCS = 4;

export type PeerOp = 'sync' | 'save' | 'load';

export interface PeerJob {
  t: Tools;
  images: GeneratedImage[];
  /** Set name, for file names. */
  name: string;
}

export interface Peer {
  name: string;
  /** Version, or why it is not available. */
  version: string;
  available: boolean;
  /** Best settings, per operation (shown under the table). */
  settings: Partial<Record<PeerOp, string>>;
  /** Why an operation is not measured. */
  cannot: Partial<Record<PeerOp, string>>;
  /** Where its sync puts an image under the prefix, when not at the image's own path. */
  syncName?: (img: GeneratedImage) => string;
  sync?: (j: PeerJob, src: string, dest: string, prefix: string) => Promise<Measured>;
  /** Writes the peer's own bundle (a file or directory) at `out`. */
  save?: (j: PeerJob, src: string, out: string) => Promise<Measured>;
  /** Loads what `save` wrote at `out` (not timed: anything save left to unpack). */
  load?: (j: PeerJob, out: string, dest: string, prefix: string) => Promise<Measured>;
}

const ref = (host: string, img: GeneratedImage): string => `${host}/${img.name}:${img.tag}`;
const destRef = (host: string, prefix: string, img: GeneratedImage): string => `${host}/${prefix}/${img.name}:${img.tag}`;
/** A tag for image i inside a peer's OCI layout (layout refs cannot hold '/'). */
const layoutTag = (i: number): string => `i${i}`;

/** `xargs -P n -L 1 BIN ARGS… <line args>` over lines written to a file before timing. */
async function xargs(j: PeerJob, label: string, lines: string[][], bin: string, args: string[], procs = PEER_PROCS, env: Record<string, string> = {}): Promise<Measured> {
  const list = path.join(j.t.work, `${label}-${j.name}.list`);
  await writeFile(list, lines.map((l) => l.join(' ')).join('\n') + '\n');
  return measure('xargs', ['-a', list, '-P', String(procs), '-L', '1', bin, ...args], { cwd: j.t.work, env: { HOME: j.t.work, ...env } });
}

function tryBinary(name: string): { bin?: string; reason?: string } {
  try {
    return { bin: toolBinary(name) };
  } catch (err) {
    return { reason: err instanceof Error ? err.message : String(err) };
  }
}

async function versionOf(bin: string | undefined, args: string[], pick: (out: string) => string | undefined): Promise<string> {
  if (!bin) return 'missing';
  try {
    const m = await measure(bin, args, { timeoutMs: 20_000 });
    return pick(m.stdout + m.stderr) ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function skopeoPeer(version: string): Peer {
  return {
    name: 'skopeo',
    version,
    available: true,
    settings: {
      sync: 'skopeo sync --src yaml --all --preserve-digests (one process, its default parallelism; images land at PREFIX/<last path component>)',
      save: 'skopeo copy --all into one oci: dir, one image after another (one layout, no parallel writers), then tar cf',
      load: `skopeo copy --all oci:DIR:REF → registry, ${PEER_PROCS} processes (its save's tar extracted before timing; its save stored Docker images as OCI, so their digests differ)`,
    },
    cannot: {},
    // skopeo sync without --scoped puts each image at PREFIX/<last path component>
    syncName: (img) => path.posix.basename(img.name),
    sync: async (j, src, dest, prefix) => skopeoSync(j.t, await skopeoSyncPrepare(j.t, src, j.images, j.name), dest, prefix),
    save: async (j, src, out) => {
      const ociDir = `${out}.d`;
      const m = await skopeoSave(j.t, src, j.images, ociDir, out);
      await measure('rm', ['-rf', ociDir]);
      return m;
    },
    load: async (j, out, dest, prefix) => {
      const dir = `${out}.x`;
      if (!existsSync(dir)) {
        await measure('mkdir', ['-p', dir]);
        await measure('tar', ['xf', out, '-C', dir]);
      }
      return xargs(
        j,
        'skopeo-load',
        j.images.map((i) => [`oci:${dir}:${i.name}:${i.tag}`, `docker://${destRef(dest, prefix, i)}`]),
        skopeoBinary(),
        ['--insecure-policy', 'copy', '--all', '--quiet', '--dest-tls-verify=false'],
        PEER_PROCS,
        { REGISTRY_AUTH_FILE: path.join(j.t.work, 'skopeo-auth.json') },
      );
    },
  };
}

function cranePeer(bin: string | undefined, version: string, reason?: string): Peer {
  return {
    name: 'crane',
    version: bin ? version : `not built: ${reason}`,
    available: bin !== undefined,
    settings: {
      sync: `crane copy --insecure -j 8 per image, ${PEER_PROCS} processes (xargs -P)`,
      save: 'crane pull --format oci --insecure of every image in one process into one layout, then tar cf',
    },
    cannot: { load: 'crane push sends a whole layout as one image or index under one tag, not a tag per image' },
    sync: (j, src, dest, prefix) => xargs(j, 'crane-copy', j.images.map((i) => [ref(src, i), destRef(dest, prefix, i)]), bin!, ['copy', '--insecure', '-j', '8']),
    save: (j, src, out) =>
      measureSteps([
        () => measure(bin!, ['pull', '--insecure', '--format', 'oci', ...j.images.map((i) => ref(src, i)), `${out}.d`], { cwd: j.t.work, env: { HOME: j.t.work } }),
        () => measure('tar', ['cf', out, '-C', `${out}.d`, '.']),
        () => measure('rm', ['-rf', `${out}.d`]),
      ]),
  };
}

function regctlPeer(bin: string | undefined, version: string, reason?: string): Peer {
  const hosts = (...h: string[]): string[] => h.flatMap((x) => ['--host', `reg=${x},tls=disabled`]);
  return {
    name: 'regctl',
    version: bin ? version : `not built: ${reason}`,
    available: bin !== undefined,
    settings: {
      sync: `regctl image copy --fast (tls=disabled) per image, ${PEER_PROCS} processes`,
      save: `regctl image export per image (one docker/OCI tar each), ${PEER_PROCS} processes`,
      load: `regctl image import per image from its own tars, ${PEER_PROCS} processes`,
    },
    cannot: {},
    sync: (j, src, dest, prefix) =>
      xargs(j, 'regctl-copy', j.images.map((i) => [ref(src, i), destRef(dest, prefix, i)]), bin!, [...hosts(src, dest), 'image', 'copy', '--fast']),
    save: async (j, src, out) => {
      await measure('mkdir', ['-p', out]);
      return xargs(j, 'regctl-export', j.images.map((i, n) => [ref(src, i), path.join(out, `${n}.tar`)]), bin!, [...hosts(src), 'image', 'export']);
    },
    load: (j, out, dest, prefix) =>
      xargs(j, 'regctl-import', j.images.map((i, n) => [destRef(dest, prefix, i), path.join(out, `${n}.tar`)]), bin!, [...hosts(dest), 'image', 'import']),
  };
}

function regsyncPeer(bin: string | undefined, version: string, reason?: string): Peer {
  return {
    name: 'regsync',
    version: bin ? version : `not built: ${reason}`,
    available: bin !== undefined,
    settings: { sync: 'regsync once, one config entry per image, parallel: 8, reqConcurrent: 8, fastCheck: true' },
    cannot: { save: 'regsync copies registry to registry only', load: 'regsync copies registry to registry only' },
    sync: async (j, src, dest, prefix) => {
      const lines = [
        'version: 1',
        'creds:',
        ...[src, dest].flatMap((h) => [`  - registry: ${h}`, '    tls: disabled', '    reqConcurrent: 8']),
        'defaults:',
        '  parallel: 8',
        '  fastCheck: true',
        '  skipDockerConfig: true',
        'sync:',
        ...j.images.flatMap((i) => [`  - source: ${ref(src, i)}`, `    target: ${destRef(dest, prefix, i)}`, '    type: image']),
      ];
      const file = path.join(j.t.work, `regsync-${j.name}.yaml`);
      await writeFile(file, lines.join('\n') + '\n');
      return measure(bin!, ['once', '-c', file, '-v', 'error'], { cwd: j.t.work, env: { HOME: j.t.work } });
    },
  };
}

function orasPeer(bin: string | undefined, version: string, reason?: string): Peer {
  return {
    name: 'oras',
    version: bin ? version : `not built: ${reason}`,
    available: bin !== undefined,
    settings: {
      sync: `oras cp --concurrency 8 (plain http, no -r: airlift sync copies no referrers here) per image, ${PEER_PROCS} processes`,
      save: 'oras cp --to-oci-layout into one layout, one image after another (no parallel writers of index.json), then tar cf',
      load: `oras cp --from-oci-layout TAR:TAG (reads its save's tar directly) per image, ${PEER_PROCS} processes`,
    },
    cannot: {},
    sync: (j, src, dest, prefix) =>
      xargs(j, 'oras-cp', j.images.map((i) => [ref(src, i), destRef(dest, prefix, i)]), bin!, ['cp', '--from-plain-http', '--to-plain-http', '--concurrency', '8']),
    save: (j, src, out) =>
      measureSteps([
        () => xargs(j, 'oras-save', j.images.map((i, n) => [ref(src, i), `${out}.d:${layoutTag(n)}`]), bin!, ['cp', '--from-plain-http', '--to-oci-layout', '--concurrency', '8'], 1),
        () => measure('tar', ['cf', out, '-C', `${out}.d`, '.']),
        () => measure('rm', ['-rf', `${out}.d`]),
      ]),
    load: (j, out, dest, prefix) =>
      xargs(j, 'oras-load', j.images.map((i, n) => [`${out}:${layoutTag(n)}`, destRef(dest, prefix, i)]), bin!, ['cp', '--from-oci-layout', '--to-plain-http', '--concurrency', '8']),
  };
}

/** Peers that do not build here, with the reason (checked by hand: `go install …@latest`). */
export const UNBUILT: Record<string, string> = {
  hauler:
    'not built: `go install hauler.dev/go/hauler/cmd/hauler@latest` fails: reading https://proxy.golang.org/hauler.dev/go/hauler/cmd/hauler/@v/list: 403 Forbidden',
  zarf: 'not built: `go install github.com/zarf-dev/zarf@latest` fails: reading https://proxy.golang.org/github.com/zarf-dev/zarf/@v/list: 403 Forbidden',
};

export const PEER_NAMES = ['skopeo', 'crane', 'regctl', 'regsync', 'oras'] as const;

/** Every peer, with its version; a peer whose binary is missing is listed as not available, with the reason. */
export async function loadPeers(): Promise<Peer[]> {
  const skopeoV = await versionOf(skopeoBinary(), ['--version'], (o) => /version (\S+)/.exec(o)?.[1]);
  const crane = tryBinary('crane');
  const regctl = tryBinary('regctl');
  const regsync = tryBinary('regsync');
  const oras = tryBinary('oras');
  const vcsTag = (o: string): string | undefined => /VCSTag:\s*(\S+)/.exec(o)?.[1];
  return [
    skopeoPeer(skopeoV),
    cranePeer(crane.bin, await versionOf(crane.bin, ['version'], (o) => o.trim().split('\n')[0]), crane.reason),
    regctlPeer(regctl.bin, await versionOf(regctl.bin, ['version'], vcsTag), regctl.reason),
    regsyncPeer(regsync.bin, await versionOf(regsync.bin, ['version'], vcsTag), regsync.reason),
    orasPeer(oras.bin, await versionOf(oras.bin, ['version'], (o) => /Version:\s*(\S+)/.exec(o)?.[1]), oras.reason),
  ];
}
