/**
 * Reading the form of an empty pull-secret list from the chart's own
 * comments (pure): values files document it with an example next to the key
 * (`## imagePullSecrets:` / `##   - myRegistryKeySecretName` in Bitnami
 * charts, `# - name: secretName` in ingress-nginx and metrics-server). An
 * example of `- name: x` gives `{name}` objects, a bare `- x` gives names.
 */
import { isMap as isYamlMap, parseDocument, type Pair } from 'yaml';
import type { ValuesPath } from '../chart/types.js';
import type { PullSecretForm } from './types.js';

const KEYS = new Set(['imagePullSecrets', 'pullSecrets']);
const OBJECT_EXAMPLE = /^[#\s]*-\s*name\s*:/m;
const NAME_EXAMPLE = /^[#\s]*-\s*["']?[A-Za-z0-9][A-Za-z0-9._-]*["']?\s*$/m;

function formOf(comment: string): PullSecretForm | undefined {
  if (OBJECT_EXAMPLE.test(comment)) return 'objects';
  if (NAME_EXAMPLE.test(comment)) return 'names';
  return undefined;
}

function isEmptyList(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  const node = v as { items?: unknown[]; value?: unknown };
  if (Array.isArray(node.items)) return node.items.length === 0;
  return node.value === null;
}

/**
 * path key (JSON of the top-level values path) → form documented in the
 * comments around each empty `imagePullSecrets`/`pullSecrets` key of one
 * values file whose root sits at `prefix`.
 */
export function pullSecretFormsFromComments(text: string, prefix: ValuesPath): Map<string, PullSecretForm> {
  const out = new Map<string, PullSecretForm>();
  let doc;
  try {
    doc = parseDocument(text, { prettyErrors: false });
  } catch {
    return out;
  }
  if (doc.errors.length > 0) return out;
  const walk = (node: unknown, path: ValuesPath, before: string): void => {
    if (!isYamlMap(node)) return;
    const items = node.items as Pair[];
    items.forEach((pair, i) => {
      const key = (pair.key as { value?: unknown } | null)?.value;
      if (typeof key !== 'string') return;
      const p = [...path, key];
      if (KEYS.has(key) && isEmptyList(pair.value)) {
        const next = items[i + 1]?.key as { commentBefore?: string | null } | undefined;
        const value = pair.value as { comment?: string | null; commentBefore?: string | null } | null;
        const comments = [
          i === 0 ? before : '',
          (pair.key as { commentBefore?: string | null }).commentBefore ?? '',
          value?.commentBefore ?? '',
          value?.comment ?? '',
          next?.commentBefore ?? '',
        ].join('\n');
        const f = formOf(comments);
        if (f) out.set(JSON.stringify(p), f);
        return;
      }
      walk(pair.value, p, (pair.value as { commentBefore?: string | null } | null)?.commentBefore ?? '');
    });
  };
  walk(doc.contents, prefix, (doc.contents as { commentBefore?: string | null } | null)?.commentBefore ?? doc.commentBefore ?? '');
  return out;
}
