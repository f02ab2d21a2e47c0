/**
 * `airlift inspect BUNDLE`: what a bundle holds, from its index.json, its manifests and its lock,
 * never its layers: images (reference, digest, platforms, size, attachments), charts, totals and
 * what sharing blobs saves, how the bundle is stored (parts, compression), and the base of a
 * differential bundle when its lock names one. Works on a tar, parts, a compressed bundle or a
 * layout directory alike.
 */
import { stat } from 'node:fs/promises';
import { OciArchiveSource } from '../endpoint/oci-archive.js';
import { toAirliftError } from '../errors.js';
import { entryName } from '../layout/index-json.js';
import { blobPath } from '../layout/paths.js';
import { archiveForm } from '../layout/source-tar.js';
import type { Lock } from '../lock/types.js';
import { isForeignLayer, isImageConfig, parseManifest } from '../oci/manifest.js';
import { indexPlatforms, isAttestation, platformFromConfig } from '../oci/platform.js';
import type { Descriptor } from '../oci/types.js';
import { formatBytes } from '../progress/format.js';
import { MAX_CHART_BYTES, chartMetadata } from './charts.js';
import { bundleFiles, bundleLock, openBundle, type Bundle } from './images.js';

export interface InspectAttachment {
  digest: string;
  /** artifactType, else the config media type (a signature, an SBOM…). */
  type: string;
  /** The manifest it is attached to (`subject`). */
  subject: string;
}

export interface InspectImage {
  reference: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Bytes of every manifest, config and layer of the image (its index and children too), each once. */
  size: number;
  blobs: number;
  attachments: InspectAttachment[];
}

export interface InspectChart {
  name: string;
  version: string;
  file?: string;
  digest?: string;
}

export interface InspectReport {
  bundle: string;
  form: {
    kind: 'tar' | 'directory';
    parts?: Array<{ name: string; size: number; sha256: string }>;
    compression?: { kind: string; seekable: boolean };
    /** Bytes on disk (all parts, compressed). */
    bytes?: number;
    /** Bytes of the tar itself, uncompressed (unknown for a foreign compressed tar). */
    tarBytes?: number;
  };
  images: InspectImage[];
  charts: InspectChart[];
  /** Other files the lock lists (airlift itself, from save --include-self). */
  files: Array<{ file: string; size: number }>;
  totals: {
    images: number;
    charts: number;
    /** Distinct blobs (manifests included) and their bytes: what the bundle stores. */
    blobs: number;
    bytes: number;
    /** The images' sizes added up, as if each stood alone. */
    imageBytes: number;
    /** Blobs more than one image uses, and the bytes storing them once saves. */
    sharedBlobs: number;
    savedBytes: number;
  };
  /** The bundle this one is a differential of, when its lock names one (save --since). */
  base?: Record<string, unknown>;
  generator?: string;
}

export interface InspectInput {
  /** Absolute path. */
  bundle: string;
  /** As the user named it. */
  where: string;
}

export interface InspectDeps {
  /** Opens the bundle (tests count what is read through it). */
  open?: (file: string) => Promise<Bundle>;
}

/** The differential base a lock records (issue #21 item 1 adds it as `base`); read as it is, whatever its fields. */
export function lockBase(lock: Lock | undefined): Record<string, unknown> | undefined {
  const base: unknown = lock?.base;
  return base && typeof base === 'object' && !Array.isArray(base) ? (base as Record<string, unknown>) : undefined;
}

export async function inspectBundle(input: InspectInput, deps: InspectDeps = {}): Promise<InspectReport> {
  const bundle = await (deps.open ?? openBundle)(input.bundle);
  try {
    const reader = bundle.reader;
    const lock = await bundleLock(bundle, input.where);
    const lockPlatforms = new Map((lock?.images ?? []).map((i) => [i.digest, i.platforms]));
    const manifests = new Map<string, ReturnType<typeof parseManifest>>();
    const manifest = async (d: Descriptor): Promise<ReturnType<typeof parseManifest>> => {
      let m = manifests.get(d.digest);
      if (!m) {
        m = parseManifest(`manifest ${d.digest} in ${input.where}`, await reader.readManifest(d));
        manifests.set(d.digest, m);
      }
      return m;
    };

    // every blob an image uses (manifests included), with its size: the sharing is counted from these
    const usedBy = new Map<string, { size: number; images: Set<number> }>();
    const entries = reader.entries();
    const images: InspectImage[] = [];
    const attachments: Array<{ d: Descriptor; subject: string; type: string }> = [];
    for (const [i, e] of entries.entries()) {
      const name = e.containerdName ?? e.refName;
      const d = e.descriptor;
      const m = await manifest(d);
      // an unnamed manifest with a subject is an attachment (a signature, an SBOM), not an image
      const subject = (m.json.subject as Descriptor | undefined)?.digest;
      if (name === undefined && subject) {
        attachments.push({ d, subject, type: (m.json.artifactType as string | undefined) ?? (m.kind === 'image' ? m.config.mediaType : m.mediaType) });
      }
      if (name === undefined) continue;
      const mine = new Map<string, number>();
      const walk = async (desc: Descriptor): Promise<void> => {
        if (mine.has(desc.digest)) return;
        mine.set(desc.digest, desc.size);
        const pm = await manifest(desc);
        if (pm.kind === 'index') {
          for (const c of pm.children) if ((await reader.blobSize(c.digest)) !== undefined) await walk(c);
          return;
        }
        mine.set(pm.config.digest, pm.config.size);
        for (const l of pm.layers) if (!isForeignLayer(l)) mine.set(l.digest, l.size);
      };
      await walk(d);
      for (const [digest, size] of mine) {
        const u = usedBy.get(digest) ?? { size, images: new Set<number>() };
        u.images.add(i);
        usedBy.set(digest, u);
      }
      let platforms = lockPlatforms.get(d.digest);
      if (!platforms) {
        if (m.kind === 'index') platforms = indexPlatforms(m.children);
        else if (isImageConfig(m.config) && m.config.size <= 1024 * 1024) {
          // no lock to say it: the config (a small JSON) names the platform
          const p = platformFromConfig(await reader.files.read(blobPath(m.config.digest), 1024 * 1024).catch(() => Buffer.alloc(0)));
          platforms = p ? [p] : [];
        } else platforms = [];
      }
      images.push({
        reference: entryName(e),
        digest: d.digest,
        mediaType: d.mediaType,
        platforms,
        size: [...mine.values()].reduce((a, b) => a + b, 0),
        blobs: mine.size,
        attachments: [],
      });
    }
    // attachments go to the image whose manifest (or child) they name
    for (const a of attachments) {
      for (const i of usedBy.get(a.subject)?.images ?? []) {
        const img = images.find((x) => x.digest === entries[i]!.descriptor.digest);
        img?.attachments.push({ digest: a.d.digest, type: a.type, subject: a.subject });
      }
      const u = usedBy.get(a.d.digest) ?? { size: a.d.size, images: new Set<number>() };
      usedBy.set(a.d.digest, u);
    }

    const charts: InspectChart[] = [];
    const files = bundleFiles(bundle);
    if (lock?.charts.length) for (const c of lock.charts) charts.push({ name: c.name, version: c.version, ...(c.file ? { file: c.file } : {}), ...(c.digest ? { digest: c.digest } : {}) });
    else if (files) {
      for (const file of (await files.extraFiles()).filter((f) => /^charts\/[^/]+\.tgz$/.test(f))) {
        const meta = await chartMetadata(await files.readFile(file, MAX_CHART_BYTES), `${input.where}: ${file}`);
        charts.push({ name: String(meta.name), version: String(meta.version), file });
      }
    }

    const distinct = [...usedBy.values()];
    const shared = distinct.filter((u) => u.images.size > 1);
    const imageBytes = images.reduce((a, i) => a + i.size, 0);
    const bytes = distinct.reduce((a, u) => a + u.size, 0);
    const base = lockBase(lock);
    return {
      bundle: input.where,
      form: await formOf(bundle, input.bundle),
      images,
      charts,
      files: (lock?.files ?? []).map((f) => ({ file: f.file, size: f.size })),
      totals: {
        images: images.length,
        charts: charts.length,
        blobs: distinct.length,
        bytes,
        imageBytes,
        sharedBlobs: shared.length,
        savedBytes: shared.reduce((a, u) => a + u.size * (u.images.size - 1), 0),
      },
      ...(base ? { base } : {}),
      ...(lock ? { generator: lock.generator } : {}),
    };
  } catch (err) {
    throw toAirliftError(err);
  } finally {
    await bundle.close();
  }
}

async function formOf(bundle: Bundle, file: string): Promise<InspectReport['form']> {
  if (!(bundle instanceof OciArchiveSource)) return { kind: 'directory' };
  const f = archiveForm(bundle.tar);
  const onDisk = f.parts ? f.parts.manifest.total : f.compression ? f.compression.compressedBytes : (await stat(file).catch(() => undefined))?.size;
  return {
    kind: 'tar',
    ...(f.parts ? { parts: f.parts.manifest.parts } : {}),
    ...(f.compression ? { compression: { kind: f.compression.kind, seekable: f.compression.seekable } } : {}),
    ...(onDisk !== undefined ? { bytes: onDisk } : {}),
    ...(f.tarBytes !== undefined ? { tarBytes: f.tarBytes } : f.compression ? {} : onDisk !== undefined ? { tarBytes: onDisk } : {}),
  };
}

/** The report as a table for people (stdout). */
export function inspectTable(r: InspectReport): string {
  const lines: string[] = [];
  const f = r.form;
  const how = [f.kind === 'directory' ? 'an OCI layout directory' : 'a tar', f.compression ? `${f.compression.kind}-compressed${f.compression.seekable ? ' (seekable)' : ' (read forwards)'}` : '', f.parts ? `in ${f.parts.length} parts` : '']
    .filter(Boolean)
    .join(', ');
  lines.push(`${r.bundle}: ${how}${f.bytes !== undefined ? `, ${formatBytes(f.bytes)}` : ''}${f.tarBytes !== undefined && f.compression ? ` (${formatBytes(f.tarBytes)} as a tar)` : ''}`);
  if (r.base) lines.push(`differential: base ${JSON.stringify(r.base)}`);
  lines.push('');
  const w = Math.max(5, ...r.images.map((i) => i.reference.length));
  const pw = Math.max(9, ...r.images.map((i) => i.platforms.join(',').length));
  lines.push(`${'IMAGE'.padEnd(w)}  ${'PLATFORMS'.padEnd(pw)}  ${'SIZE'.padStart(10)}  DIGEST`);
  for (const i of r.images) {
    lines.push(`${i.reference.padEnd(w)}  ${(i.platforms.join(',') || '-').padEnd(pw)}  ${formatBytes(i.size).padStart(10)}  ${i.digest}`);
    for (const a of i.attachments) lines.push(`${''.padEnd(w)}  + ${a.type} ${a.digest}`);
  }
  if (r.charts.length) {
    lines.push('');
    const cw = Math.max(5, ...r.charts.map((c) => `${c.name} ${c.version}`.length));
    lines.push(`${'CHART'.padEnd(cw)}  DIGEST`);
    for (const c of r.charts) lines.push(`${`${c.name} ${c.version}`.padEnd(cw)}  ${c.digest ?? '-'}`);
  }
  for (const x of r.files) lines.push(`file ${x.file} (${formatBytes(x.size)})`);
  const t = r.totals;
  lines.push('');
  const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
  lines.push(`${n(t.images, 'image')}, ${n(t.charts, 'chart')}; ${n(t.blobs, 'blob')}, ${formatBytes(t.bytes)} stored; ${n(t.sharedBlobs, 'blob')} shared between images save ${formatBytes(t.savedBytes)} (${formatBytes(t.imageBytes)} if each image stood alone)`);
  return `${lines.join('\n')}\n`;
}
