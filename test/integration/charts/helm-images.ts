/**
 * What helm renders, read independently of airlift's scanner: `helm template`
 * output split into documents, every container image of every pod spec
 * (containers, initContainers, ephemeralContainers, anywhere in a document),
 * images in container args (`--x-image[=]REF`) and env (`*_IMAGE`), and
 * custom-resource fields named `image`/`…Image`. The test judge.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../harness/tools.js';

export interface HelmImage {
  image: string;
  where: string;
  runtime: boolean;
}

const CORE = /^(v1|[a-z0-9.]*k8s\.io\/\w+|apps\/\w+|batch\/\w+|policy\/\w+|autoscaling\/\w+)$/;

export function helmTemplate(chart: string, args: string[] = []): string {
  return execFileSync(helmBinary(), ['template', 'release', chart, '--kube-version', 'v1.34.0', '--namespace', 'default', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function renderedImages(manifests: string): HelmImage[] {
  const out: HelmImage[] = [];
  for (const d of parseAllDocuments(manifests)) {
    const doc = d.toJS() as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') continue;
    const meta = (doc.metadata ?? {}) as Record<string, unknown>;
    const obj = `${String(doc.kind)}/${String(meta.name)}`;
    const visit = (node: unknown, cr: boolean): void => {
      if (Array.isArray(node)) return node.forEach((x) => visit(x, cr));
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        if (['containers', 'initContainers', 'ephemeralContainers'].includes(k) && Array.isArray(v)) {
          for (const c of v as Record<string, unknown>[]) {
            const at = `${obj} ${k}[${String(c.name)}]`;
            if (typeof c.image === 'string') out.push({ image: c.image, where: at, runtime: false });
            const args = [...((c.command as unknown[]) ?? []), ...((c.args as unknown[]) ?? [])].map(String);
            args.forEach((a, i) => {
              const m = /^(--?[\w.-]*image)(?:=(.+))?$/i.exec(a);
              const val = m ? (m[2] ?? args[i + 1]) : undefined;
              if (m && val && /[:@]/.test(val) && !val.startsWith('-')) out.push({ image: val, where: `${at} arg ${m[1]}`, runtime: true });
            });
            for (const e of (c.env as { name?: string; value?: unknown }[]) ?? []) {
              if (typeof e.value === 'string' && /image$/i.test(e.name ?? '') && /[:@]/.test(e.value) && !/\s/.test(e.value)) out.push({ image: e.value, where: `${at} env ${e.name}`, runtime: true });
            }
          }
        } else if (cr && typeof v === 'string' && /image$/i.test(k) && /[:@]/.test(v)) {
          out.push({ image: v, where: `${obj} ${k}`, runtime: false });
        } else visit(v, cr);
      }
    };
    visit(doc, typeof doc.apiVersion === 'string' && !CORE.test(doc.apiVersion));
  }
  return out;
}
