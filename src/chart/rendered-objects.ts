/**
 * The one reader of rendered manifests (`helm template` output, `airlift images -`), pure: YAML
 * documents into Kubernetes objects, the pod specs inside them (wherever they sit: Pod,
 * Deployment, StatefulSet, DaemonSet, Job, CronJob, custom resources embedding a pod template)
 * with their containers, and the string fields outside containers (where custom resources name
 * images). The scan (`manifests.ts`, `rendered.ts`) and relocation (`src/relocate/rendered.ts`)
 * read through it and decide from what it gives which strings are images.
 */
import type { ValuesPath } from './types.js';
import { isMap, parseYamlDocuments } from './yaml.js';
import { appendAll } from '../output/table.js';

export const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

const isContainerList = (k: string): k is ContainerList => (CONTAINER_LISTS as readonly string[]).includes(k);

export interface RenderedObject {
  doc: Record<string, unknown>;
  /** `kind`, or "document" when it has none. */
  kind: string;
  /** `metadata.name`, or the document's position when it has none. */
  name: string;
  namespace?: string;
  /** `apiVersion`, or "" when it has none. */
  apiVersion: string;
  /** Annotated `helm.sh/hook`. */
  hook: boolean;
}

export interface ReadOptions {
  /**
   * Read each `---` part on its own, as Helm's releaseutil.SplitManifests splits (`---# comment`
   * starts a document too), skipping parts that name no image and CustomResourceDefinitions, and
   * collecting parse errors instead of throwing. Otherwise the text is parsed whole and invalid
   * YAML throws.
   */
  lenient?: boolean;
  /** Read the items of a `kind: List` as objects of their own. */
  lists?: boolean;
}

/** The objects of rendered manifests; `error`: why a part could not be read (lenient only). */
export function readObjects(text: string, file: string, o: ReadOptions = {}): { objects: RenderedObject[]; error?: string } {
  const docs: unknown[] = [];
  const errors: string[] = [];
  if (o.lenient) {
    for (const [i, raw] of text.split(/^---/m).entries()) {
      const part = raw.trimStart();
      // Only a document that names an image can hold one; CRD schemas (large, many) run none.
      if (part === '' || !/image/i.test(part) || /^kind:\s*CustomResourceDefinition\s*$/m.test(part)) continue;
      try {
        appendAll(docs, parseYamlDocuments(part, `${file} document ${i + 1}`));
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  } else appendAll(docs, parseYamlDocuments(text, file));
  const objects: RenderedObject[] = [];
  docs.forEach((doc, i) => {
    if (!isMap(doc)) return;
    if (o.lists && doc.kind === 'List' && Array.isArray(doc.items)) {
      for (const item of doc.items) if (isMap(item)) objects.push(objectOf(item, i));
      return;
    }
    objects.push(objectOf(doc, i));
  });
  return errors.length ? { objects, error: errors[0]! } : { objects };
}

function objectOf(doc: Record<string, unknown>, i: number): RenderedObject {
  const meta = isMap(doc.metadata) ? doc.metadata : {};
  const annotations = isMap(meta.annotations) ? meta.annotations : {};
  return {
    doc,
    kind: typeof doc.kind === 'string' ? doc.kind : 'document',
    name: typeof meta.name === 'string' ? meta.name : String(i),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    apiVersion: typeof doc.apiVersion === 'string' ? doc.apiVersion : '',
    hook: typeof annotations['helm.sh/hook'] === 'string',
  };
}

export interface RenderedContainer {
  list: ContainerList;
  /** Position in its list. */
  index: number;
  container: Record<string, unknown>;
  /** Its `name`, or its position when it has none: `containers[app]`, `containers[0]`. */
  label: string;
}

export interface PodSpec {
  /** Where it sits in the object: `['spec', 'template', 'spec']`. */
  path: ValuesPath;
  spec: Record<string, unknown>;
  /** Its containers (map entries only), list by list in the order the spec names the lists. */
  containers: RenderedContainer[];
}

export interface Visitor {
  /** A pod spec (a map holding a list of containers); the walk goes on below its other keys. */
  podSpec?(ps: PodSpec): void;
  /**
   * A string field outside lists of containers, with the path of the map holding it and whether
   * that map is a pod spec (custom resources name images in such fields: `image`, `serverImage`).
   */
  field?(at: ValuesPath, key: string, value: string, inPodSpec: boolean): void;
}

/** Walks `node` in document order, telling `v` of every pod spec and string field. */
export function walkObject(node: unknown, path: ValuesPath, v: Visitor): void {
  if (Array.isArray(node)) {
    node.forEach((x, j) => walkObject(x, [...path, j], v));
    return;
  }
  if (!isMap(node)) return;
  const lists = Object.keys(node).filter((k): k is ContainerList => isContainerList(k) && Array.isArray(node[k]));
  if (lists.length > 0 && v.podSpec) {
    const containers: RenderedContainer[] = [];
    for (const list of lists) {
      (node[list] as unknown[]).forEach((c, index) => {
        if (isMap(c)) containers.push({ list, index, container: c, label: typeof c.name === 'string' ? c.name : String(index) });
      });
    }
    v.podSpec({ path, spec: node, containers });
  }
  for (const [k, x] of Object.entries(node)) {
    if (lists.includes(k as ContainerList)) continue;
    if (typeof x === 'string') v.field?.(path, k, x, lists.length > 0);
    else walkObject(x, [...path, k], v);
  }
}

/** Every pod spec in `node`, in document order. */
export function podSpecs(node: unknown): PodSpec[] {
  const out: PodSpec[] = [];
  walkObject(node, [], { podSpec: (ps) => out.push(ps) });
  return out;
}
