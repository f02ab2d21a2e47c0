/**
 * Images in rendered manifests (pure): every container image of every pod
 * spec (containers, initContainers, ephemeralContainers, in any workload
 * kind, hooks included), image fields of custom resources, and runtime
 * images: an image named in a container's args (`--x-image=REF`, or the
 * argument after `--x-image`) or in an env var whose name ends in IMAGE.
 */
import { tryParseReference } from '../reference/index.js';
import { podSpecs, readObjects, walkObject } from './rendered-objects.js';
import { TextCache } from './text-cache.js';
import { dottedPath } from './values-path.js';
import { isMap } from './yaml.js';

/** Kinds Kubernetes itself serves: their `image` fields outside pod specs are not images to pull. */
const BUILTIN_GROUP = /^(v1|(apps|batch|policy|autoscaling|rbac\.authorization\.k8s\.io|networking\.k8s\.io|admissionregistration\.k8s\.io|apiextensions\.k8s\.io|storage\.k8s\.io|scheduling\.k8s\.io|coordination\.k8s\.io|discovery\.k8s\.io|certificates\.k8s\.io|node\.k8s\.io|apiregistration\.k8s\.io)\/.*)$/;

export interface RenderedImage {
  image: string;
  /** `Deployment/name containers[c]`, `Deployment/name containers[c] arg --x-image`, `Kind/name spec.image`. */
  where: string;
  /** Set for images a program is told to pull later (args/env). */
  runtime?: 'arg' | 'env';
  /** Set when the workload is a Helm hook. */
  hook?: boolean;
}

export interface RenderedScan {
  images: RenderedImage[];
  /** Containers found (with or without an image). */
  containers: number;
  /** Why a file's output could not be read as YAML. */
  error?: string;
}

const looksLikeImage = (s: string): boolean =>
  s !== '' && !/\s/.test(s) && !s.startsWith('-') && !s.includes('://') && /[:@]/.test(s) && tryParseReference(s, { defaultTag: 'latest' }).ok;

/**
 * Scans kept by the rendered text (a pure function of it; `file` only names the file in an error,
 * and a scan with an error is not kept): a chart given again renders the same texts (the render
 * cache hands back the very strings), and parsing them is most of the scan. Each caller gets its
 * own copies of the images.
 */
const scans = new TextCache<RenderedScan>(8 * 1024 * 1024, 4 * 1024 * 1024);

export function scanRendered(text: string, file: string): RenderedScan {
  const hit = scans.get(text);
  if (hit) return { images: hit.images.map((i) => ({ ...i })), containers: hit.containers };
  const scan = scanRenderedText(text, file);
  if (scan.error === undefined) scans.set(text, { images: scan.images.map((i) => ({ ...i })), containers: scan.containers });
  return scan;
}

function scanRenderedText(text: string, file: string): RenderedScan {
  const out: RenderedImage[] = [];
  let containers = 0;
  const { objects, error } = readObjects(text, file, { lenient: true });
  for (const { doc, kind, name, apiVersion, hook } of objects) {
    const obj = `${kind}/${name}`;
    const add = (img: RenderedImage): void => {
      out.push(hook ? { ...img, hook: true } : img);
    };
    const container = (c: Record<string, unknown>, at: string): void => {
      containers++;
      if (typeof c.image === 'string' && c.image !== '') add({ image: c.image.trim(), where: at });
      const args = [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])];
      args.forEach((a, k) => {
        if (typeof a !== 'string') return;
        const m = /^(--?[A-Za-z0-9_.-]*image)(?:=(.*))?$/i.exec(a.trim());
        if (!m) return;
        const v = m[2] !== undefined ? m[2] : typeof args[k + 1] === 'string' ? (args[k + 1] as string) : '';
        if (looksLikeImage(v.trim())) add({ image: v.trim(), where: `${at} arg ${m[1]}`, runtime: 'arg' });
      });
      if (Array.isArray(c.env)) {
        for (const e of c.env) {
          if (!isMap(e) || typeof e.name !== 'string' || typeof e.value !== 'string') continue;
          if (/image$/i.test(e.name) && looksLikeImage(e.value.trim())) add({ image: e.value.trim(), where: `${at} env ${e.name}`, runtime: 'env' });
        }
      }
    };
    for (const ps of podSpecs(doc)) for (const c of ps.containers) container(c.container, `${obj} ${c.list}[${c.label}]`);
    if (apiVersion && !BUILTIN_GROUP.test(apiVersion)) {
      // A custom resource: fields named `image` or `…Image` holding a reference (`serverImage`),
      // outside the container lists already read.
      walkObject(doc.spec, ['spec'], {
        field: (at, k, v) => {
          if (/image$/i.test(k) && looksLikeImage(v.trim())) add({ image: v.trim(), where: `${obj} ${dottedPath([...at, k])}` });
        },
      });
    }
  }
  return error !== undefined ? { images: out, containers, error } : { images: out, containers };
}
