/**
 * Rendered manifests (`helm template … | airlift images -`), pure: every
 * container image of every workload in every YAML document. Containers are
 * found wherever a pod spec sits (Pod, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job, CronJob, List items, custom resources that embed a pod
 * template), plus images named in containers' args and env (runtime images)
 * and image fields of custom resources.
 */
import { makeFinding } from './assemble.js';
import { scanRendered } from './rendered.js';
import { isMap, parseYamlDocuments } from './yaml.js';
import type { ImageFinding, ValuesPath } from './types.js';

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

export function scanManifests(text: string, file = '-'): ImageFinding[] {
  const docs = parseYamlDocuments(text, file === '-' ? 'stdin' : file);
  const out: ImageFinding[] = [];
  docs.forEach((doc, i) => {
    if (!isMap(doc)) return;
    const kind = typeof doc.kind === 'string' ? doc.kind : 'document';
    const meta = isMap(doc.metadata) ? doc.metadata : {};
    const name = typeof meta.name === 'string' ? meta.name : String(i);
    const labels = isMap(meta.labels) ? meta.labels : {};
    const chart = typeof labels['helm.sh/chart'] === 'string' ? (labels['helm.sh/chart'] as string) : '-';
    const walk = (node: unknown, path: ValuesPath): void => {
      if (Array.isArray(node)) {
        node.forEach((x, j) => walk(x, [...path, j]));
        return;
      }
      if (!isMap(node)) return;
      for (const [k, v] of Object.entries(node)) {
        if (CONTAINER_LISTS.includes(k) && Array.isArray(v)) {
          v.forEach((c, j) => {
            if (!isMap(c)) return;
            const p = [...path, k, j, 'image'];
            if (typeof c.image !== 'string' || c.image === '') {
              out.push(
                makeFinding('', { kind: 'manifest', chart, file, path: [`${kind}/${name}`, ...p], layout: { type: 'none' } }, {
                  error: `${kind}/${name}: container ${JSON.stringify(c.name ?? j)} has no image`,
                }),
              );
              return;
            }
            out.push(
              makeFinding(c.image, { kind: 'manifest', chart, file, path: [`${kind}/${name}`, ...p], layout: { type: 'string' } }, {
                where: [`${kind}/${name} ${k}[${typeof c.name === 'string' ? c.name : j}]`],
              }),
            );
          });
        } else {
          walk(v, [...path, k]);
        }
      }
    };
    walk(doc, []);
  });
  // Runtime images (args, env) and custom-resource image fields.
  for (const img of scanRendered(text, file).images) {
    if (!img.runtime && /(containers|initContainers|ephemeralContainers)\[[^\]]*\]$/.test(img.where)) continue;
    const extra = img.runtime ? { where: [img.where], runtime: true } : { where: [img.where] };
    out.push(makeFinding(img.image, { kind: 'manifest', chart: '-', file, path: [img.where], layout: { type: 'none' } }, extra));
  }
  return out;
}
