/**
 * What a rendered chart (`helm template` output) makes the cluster pull, pure:
 * every pod spec (wherever it sits: Pod, Deployment, StatefulSet, DaemonSet,
 * Job, CronJob, custom resources embedding a pod template) with its
 * containers' images, its pull secrets and its ServiceAccount; images named in
 * a container's args or env (runtime images: the program pulls them later,
 * e.g. `--executor-image`, `AGENT_INJECT_VAULT_IMAGE`); and the `image` and
 * `…Image` fields of custom resources (`serverImage`). Locations are written as the acceptance lists write
 * them: `Deployment/web containers[app]`, `... arg --flag`, `... env NAME`,
 * a ` (hook)` suffix for helm hooks.
 */
import { isMap } from '../chart/yaml.js';
import { CONTAINER_LISTS, readObjects, walkObject, type RenderedObject } from '../chart/rendered-objects.js';
import { dottedPath } from '../chart/values-path.js';

export type RenderedImageKind = 'container' | 'runtime' | 'resource';

export interface RenderedImage {
  /** The string as rendered. */
  image: string;
  kind: RenderedImageKind;
  /** `Kind/name` of the object. */
  object: string;
  /** `Deployment/web containers[app]`, `Deployment/web containers[app] arg --executor-image`, `Prometheus/x spec.image`. */
  where: string;
  hook: boolean;
}

export interface RenderedPod {
  /** `Kind/name` of the object holding the pod spec. */
  object: string;
  /** Where the pod spec sits in the object (`spec.template.spec`). */
  path: string;
  namespace?: string;
  pullSecrets: string[];
  /** Entries of its `imagePullSecrets` that are not `{name}` objects (Kubernetes refuses them). */
  malformedPullSecrets: string[];
  /** `serviceAccountName` (or the deprecated `serviceAccount`); undefined means the namespace's `default`. */
  serviceAccount?: string;
  hook: boolean;
}

export interface RenderedChart {
  images: RenderedImage[];
  pods: RenderedPod[];
  /** ServiceAccount name → the pull secrets it carries. */
  serviceAccounts: Map<string, string[]>;
  /** ServiceAccount name → entries of its `imagePullSecrets` that are not `{name}` objects. */
  malformedServiceAccounts: Map<string, string[]>;
}

/** API groups whose objects are Kubernetes' own: an `image` field outside a container there is not a custom resource's. */
const CORE_GROUP = /^(v1|apps\/|batch\/|policy\/|rbac\.authorization\.k8s\.io\/|networking\.k8s\.io\/|autoscaling\/|admissionregistration\.k8s\.io\/|apiextensions\.k8s\.io\/|storage\.k8s\.io\/|scheduling\.k8s\.io\/|coordination\.k8s\.io\/|discovery\.k8s\.io\/|monitoring\.coreos\.com\/v1alpha1$)/;
/** Flags and env vars that name an image end in "image" (`--executor-image`, `AGENT_INJECT_VAULT_IMAGE`), as the scanner reads them. */
const IMAGE_NAME = /image$/i;

/** Names of `{name}` entries: Kubernetes takes nothing else in `imagePullSecrets`. */
function names(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (isMap(x) && typeof x.name === 'string' ? x.name : undefined)).filter((n): n is string => n !== undefined && n !== '');
}

/** Entries of `imagePullSecrets` that are not `{name}` objects (a value written in the wrong form), as YAML-ish text. */
function malformed(v: unknown): string[] {
  if (!Array.isArray(v)) return v === undefined || v === null ? [] : [JSON.stringify(v)];
  return v.filter((x) => !(isMap(x) && typeof x.name === 'string')).map((x) => JSON.stringify(x));
}

/** A value an image-named arg or env var holds that reads as an image reference. */
export function looksLikeImage(s: string): boolean {
  const v = s.trim();
  if (v === '' || /\s|^-|:\/\/|^[./]/.test(v)) return false;
  // name[:tag][@digest] with at least a path or a tag or a digest.
  return /^[a-z0-9][a-z0-9._:/-]*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[0-9a-f]{32,})?$/i.test(v) && (v.includes('/') || v.includes(':') || v.includes('@'));
}

function runtimeImages(c: Record<string, unknown>, where: string, object: string, hook: boolean, out: RenderedImage[]): void {
  const push = (image: string, how: string): void => {
    out.push({ image, kind: 'runtime', object, where: `${where} ${how}${hook ? ' (hook)' : ''}`, hook });
  };
  for (const key of ['command', 'args'] as const) {
    const list = c[key];
    if (!Array.isArray(list)) continue;
    list.forEach((a, i) => {
      if (typeof a !== 'string') return;
      const m = /^(--?[A-Za-z0-9][\w.-]*)=(.*)$/s.exec(a);
      if (m) {
        if (IMAGE_NAME.test(m[1]!) && looksLikeImage(m[2]!)) push(m[2]!.trim(), `arg ${m[1]}`);
        return;
      }
      const next = list[i + 1];
      if (/^--?[A-Za-z0-9][\w.-]*$/.test(a) && IMAGE_NAME.test(a) && typeof next === 'string' && looksLikeImage(next)) push(next.trim(), `arg ${a}`);
    });
  }
  if (Array.isArray(c.env)) {
    for (const e of c.env) {
      if (!isMap(e) || typeof e.name !== 'string' || typeof e.value !== 'string') continue;
      if (IMAGE_NAME.test(e.name) && looksLikeImage(e.value)) push(e.value.trim(), `env ${e.name}`);
    }
  }
}

/** Reads `helm template` output. */
export function readRendered(text: string, file = 'rendered manifests'): RenderedChart {
  const out: RenderedChart = { images: [], pods: [], serviceAccounts: new Map(), malformedServiceAccounts: new Map() };
  for (const o of readObjects(text, file, { lists: true }).objects) readObject(o, out);
  return out;
}

const listOrder = (l: string): number => (CONTAINER_LISTS as readonly string[]).indexOf(l);

function readObject({ doc, kind, name, namespace, apiVersion, hook }: RenderedObject, out: RenderedChart): void {
  const object = `${kind}/${name}`;
  const suffix = hook ? ' (hook)' : '';
  if (kind === 'ServiceAccount') {
    out.serviceAccounts.set(name, names(doc.imagePullSecrets));
    const bad = malformed(doc.imagePullSecrets);
    if (bad.length > 0) out.malformedServiceAccounts.set(name, bad);
    return;
  }
  const custom = apiVersion !== '' && !CORE_GROUP.test(apiVersion);
  walkObject(doc, [], {
    podSpec: ({ path, spec: node, containers }) => {
      const sa = typeof node.serviceAccountName === 'string' && node.serviceAccountName !== '' ? node.serviceAccountName : typeof node.serviceAccount === 'string' && node.serviceAccount !== '' ? node.serviceAccount : undefined;
      out.pods.push({ object, path: dottedPath(path), ...(namespace ? { namespace } : {}), pullSecrets: names(node.imagePullSecrets), malformedPullSecrets: malformed(node.imagePullSecrets), ...(sa ? { serviceAccount: sa } : {}), hook });
      // containers, then initContainers, then ephemeralContainers
      for (const { list, container: c, label } of [...containers].sort((a, b) => listOrder(a.list) - listOrder(b.list))) {
        const where = `${object} ${list}[${label}]`;
        out.images.push({ image: typeof c.image === 'string' ? c.image : '', kind: 'container', object, where: where + suffix, hook });
        runtimeImages(c, where, object, hook, out.images);
      }
    },
    field: (at, k, v, inPodSpec) => {
      if (custom && !inPodSpec && IMAGE_NAME.test(k) && looksLikeImage(v)) {
        out.images.push({ image: v, kind: 'resource', object, where: `${object} ${dottedPath([...at, k])}${suffix}`, hook });
      }
    },
  });
}
