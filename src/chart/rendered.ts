/**
 * Images in rendered manifests (pure): every container image of every pod
 * spec (containers, initContainers, ephemeralContainers, in any workload
 * kind, hooks included), image fields of custom resources, and runtime
 * images: an image named in a container's args (`--x-image=REF`, or the
 * argument after `--x-image`) or in an env var whose name ends in IMAGE.
 */
import { tryParseReference } from '../reference/index.js';
import { isMap, parseYamlDocuments } from './yaml.js';

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

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

export function scanRendered(text: string, file: string): RenderedScan {
  const out: RenderedImage[] = [];
  let containers = 0;
  // Helm splits a rendered file into documents on "---" as releaseutil.SplitManifests does
  // (`---# comment` starts a document too), then parses each one.
  const docs: unknown[] = [];
  const errors: string[] = [];
  for (const [i, raw] of text.split(/^---/m).entries()) {
    const part = raw.trimStart();
    // Only a document that names an image can hold one; CRD schemas (large, many) run none.
    if (part === '' || !/image/i.test(part) || /^kind:\s*CustomResourceDefinition\s*$/m.test(part)) continue;
    try {
      docs.push(...parseYamlDocuments(part, `${file} document ${i + 1}`));
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  docs.forEach((doc, i) => {
    if (!isMap(doc)) return;
    const kind = typeof doc.kind === 'string' ? doc.kind : 'document';
    const meta = isMap(doc.metadata) ? doc.metadata : {};
    const name = typeof meta.name === 'string' ? meta.name : String(i);
    const ann = isMap(meta.annotations) ? meta.annotations : {};
    const hook = typeof ann['helm.sh/hook'] === 'string';
    const obj = `${kind}/${name}`;
    const add = (img: RenderedImage): void => {
      out.push(hook ? { ...img, hook: true } : img);
    };
    const container = (c: Record<string, unknown>, list: string, j: number): void => {
      containers++;
      const cname = typeof c.name === 'string' ? c.name : String(j);
      const at = `${obj} ${list}[${cname}]`;
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
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        node.forEach((x, j) => walk(x, `${path}[${j}]`));
        return;
      }
      if (!isMap(node)) return;
      for (const [k, v] of Object.entries(node)) {
        if (CONTAINER_LISTS.includes(k) && Array.isArray(v)) {
          v.forEach((c, j) => {
            if (isMap(c)) container(c, k, j);
          });
        } else walk(v, path ? `${path}.${k}` : k);
      }
    };
    walk(doc, '');
    const api = typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
    if (api && !BUILTIN_GROUP.test(api)) {
      // A custom resource: fields named `image` or `…Image` holding a reference (`serverImage`),
      // outside the container lists already read.
      const cr = (node: unknown, path: string): void => {
        if (Array.isArray(node)) return node.forEach((x, j) => cr(x, `${path}[${j}]`));
        if (!isMap(node)) return;
        for (const [k, v] of Object.entries(node)) {
          if (CONTAINER_LISTS.includes(k) && Array.isArray(v)) continue;
          const p = path ? `${path}.${k}` : k;
          if (typeof v === 'string' && /image$/i.test(k) && looksLikeImage(v.trim())) add({ image: v.trim(), where: `${obj} ${p}` });
          else cr(v, p);
        }
      };
      cr(doc.spec, 'spec');
    }
  });
  return errors.length ? { images: out, containers, error: errors[0]! } : { images: out, containers };
}
