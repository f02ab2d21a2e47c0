/** Renders a kustomization with the real `kubectl kustomize`; throws when kubectl is missing. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

export function kubectlPath(): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const c of [...dirs.map((d) => path.join(d, 'kubectl')), '/usr/bin/kubectl', '/usr/local/bin/kubectl']) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next candidate
    }
  }
  throw new Error('kubectl is not installed: the manifest tests need it (install kubectl, which bundles kustomize)');
}

export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed (${r.status}): ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => {
    if (d.errors.length) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  });
}

/** The pod template of a CronJob or Job. */
export function podSpecOf(o: K8sObject): any {
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.spec;
  if (o.kind === 'Job') return o.spec.template.spec;
  throw new Error(`${o.kind} ${o.metadata.name} has no pod template`);
}
