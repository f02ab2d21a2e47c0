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
import { podSpecs, readObjects } from './rendered-objects.js';
import { isMap } from './yaml.js';
import type { ImageFinding } from './types.js';

export function scanManifests(text: string, file = '-', seen?: { kinds: number }): ImageFinding[] {
  const { objects } = readObjects(text, file === '-' ? 'stdin' : file);
  // how many documents are Kubernetes objects (have a kind): none means the input was not manifests
  if (seen) seen.kinds = objects.filter((o) => isMap(o.doc) && typeof o.doc.kind === 'string' && o.doc.kind !== '').length;
  const out: ImageFinding[] = [];
  for (const { doc, kind, name } of objects) {
    const labels = isMap(doc.metadata) && isMap(doc.metadata.labels) ? doc.metadata.labels : {};
    const chart = typeof labels['helm.sh/chart'] === 'string' ? (labels['helm.sh/chart'] as string) : '-';
    for (const ps of podSpecs(doc)) {
      for (const { list, index, container: c, label } of ps.containers) {
        const path = [`${kind}/${name}`, ...ps.path, list, index, 'image'];
        if (typeof c.image !== 'string' || c.image === '') {
          out.push(
            makeFinding('', { kind: 'manifest', chart, file, path, layout: { type: 'none' } }, {
              error: `${kind}/${name}: container ${JSON.stringify(c.name ?? index)} has no image`,
            }),
          );
          continue;
        }
        out.push(makeFinding(c.image, { kind: 'manifest', chart, file, path, layout: { type: 'string' } }, { where: [`${kind}/${name} ${list}[${label}]`] }));
      }
    }
  }
  // Runtime images (args, env) and custom-resource image fields.
  for (const img of scanRendered(text, file).images) {
    if (!img.runtime && /(containers|initContainers|ephemeralContainers)\[[^\]]*\]$/.test(img.where)) continue;
    const extra = img.runtime ? { where: [img.where], runtime: true } : { where: [img.where] };
    out.push(makeFinding(img.image, { kind: 'manifest', chart: '-', file, path: [img.where], layout: { type: 'none' } }, extra));
  }
  return out;
}
