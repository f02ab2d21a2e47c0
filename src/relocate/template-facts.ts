/**
 * What relocation learns from the charts' templates (pure, over loaded
 * charts): the form each pull-secret value must take (as the template that
 * consumes it reads it), the image checks that refuse substituted images
 * (Bitnami common's `global.security.allowInsecureImages`), the workloads no
 * pull-secret value reaches, and the line of each literal image.
 */
import type { LoadedChart } from '../chart/load.js';
import type { ValuesPath } from '../chart/types.js';
import type { GateWrite, NoPullSecret, PullSecretForm } from './types.js';

/** One chart of the tree with its templates and where its values sit from the top. */
export interface ChartTemplates {
  chain: string;
  path: ValuesPath;
  /** Display path of the chart (as the scanner names template files: `${dir}/${template}`). */
  dir: string;
  templates: { name: string; text: string }[];
}

export function chartTree(chart: LoadedChart): ChartTemplates[] {
  const out: ChartTemplates[] = [];
  const walk = (c: LoadedChart, chain: string, path: ValuesPath): void => {
    out.push({ chain, path, dir: c.path, templates: c.templates });
    const used = new Set<LoadedChart>();
    for (const dep of c.dependencies) {
      const sub = c.subcharts.find((s) => s.name === dep.name);
      if (!sub) continue;
      used.add(sub);
      walk(sub, `${chain}/${dep.alias ?? dep.name}`, [...path, dep.alias ?? dep.name]);
    }
    for (const sub of c.subcharts) if (!used.has(sub)) walk(sub, `${chain}/${sub.name}`, [...path, sub.name]);
  };
  walk(chart, chart.name, []);
  return out;
}

/** Named templates (`define`) of every chart in the tree: helm shares them across the tree. */
export function defines(tree: readonly ChartTemplates[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of tree) {
    for (const t of c.templates) {
      if (!t.text.includes('define')) continue;
      // A define's body runs to the next define (or the end): enough text to read how it uses its argument.
      const parts = t.text.split(/(?=\{\{-?\s*define\s+")/);
      for (const part of parts) {
        const m = /^\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}/.exec(part);
        if (m) out.set(m[1]!, part.slice(m[0].length));
      }
    }
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `.name` of the element (`.name`, `$s.name`), not a values path that ends in `name`. */
const READS_NAME = /(?:^|[\s({|,])(?:\$[\w]*)?\.name\b/m;
/** `- name: {{ . }}`, `name: {{ . | quote }}`, `name: {{ $s }}`: the element is the name. */
const ELEMENT_IS_NAME = /name:\s*["']?\{\{-?\s*(?:\.|\$[\w]+)\s*(?:\|[^}]*)?-?\}\}/;
const TO_YAML = /\btoYaml\b/;

function formOf(text: string): PullSecretForm | undefined {
  if (ELEMENT_IS_NAME.test(text)) return 'names';
  if (READS_NAME.test(text)) return 'objects';
  if (TO_YAML.test(text)) return 'objects';
  return undefined;
}

/**
 * The form the templates read the pull-secret value at `path` (top-level
 * values path) in: the text from each place that reads `.Values.<path
 * relative to the chart>` to a few lines after, plus the bodies of the
 * named templates included there.
 */
export function pullSecretFormFromTemplates(tree: readonly ChartTemplates[], defs: ReadonlyMap<string, string>, path: ValuesPath): PullSecretForm | undefined {
  for (const window of readers(tree, path)) {
    let text = window;
    for (const inc of window.matchAll(/include\s+"([^"]+)"/g)) text += `\n${defs.get(inc[1]!) ?? ''}`;
    const f = formOf(text);
    if (f) return f;
  }
  return undefined;
}

/**
 * The text around each place a template reads `.Values.<path relative to its chart>`:
 * the line, and the five after it.
 */
function* readers(tree: readonly ChartTemplates[], path: ValuesPath): Generator<string> {
  for (const c of tree) {
    if (path.length <= c.path.length || !c.path.every((x, i) => x === path[i])) continue;
    const rel = path.slice(c.path.length);
    if (rel.some((s) => typeof s !== 'string' || !/^[A-Za-z_][\w]*$/.test(s))) continue;
    const re = new RegExp(`\\.Values\\.${rel.map((s) => escape(String(s))).join('\\.')}(?![\\w.])`, 'g');
    for (const t of c.templates) {
      for (const m of t.text.matchAll(re)) {
        const start = t.text.lastIndexOf('\n', m.index) + 1;
        yield t.text.slice(start).split('\n').slice(0, 6).join('\n');
      }
    }
  }
}

/**
 * How the templates write a `sha` field after "@": with the algorithm in the template
 * (`@sha256:{{ .sha }}`, grafana) the field takes bare hex; without (`printf "%s@%s" … .sha`,
 * kube-state-metrics) it takes the whole digest.
 */
export function shaFormFromTemplates(tree: readonly ChartTemplates[], path: ValuesPath): 'hex' | 'digest' | undefined {
  for (const window of readers(tree, path)) {
    const line = window.split('\n')[0]!;
    if (/sha256:/.test(line)) return 'hex';
    if (/@/.test(line)) return 'digest';
  }
  return undefined;
}

/** Bitnami common's image check: values that make the chart accept images other than the ones it ships. */
export function imageGates(tree: readonly ChartTemplates[]): GateWrite[] {
  for (const c of tree) {
    for (const t of c.templates) {
      if (!/allowInsecureImages/.test(t.text)) continue;
      return [{
        path: ['global', 'security', 'allowInsecureImages'],
        value: true,
        file: `${c.dir}/${t.name}`,
        why: 'set to true: the chart refuses images other than the ones it ships (Bitnami common\'s image check); the mirror holds the same images, at the same tags and digests',
      }];
    }
  }
  return [];
}

const WORKLOAD = /^kind:\s*(Deployment|StatefulSet|DaemonSet|Job|CronJob|Pod|ReplicaSet)\s*$/m;

/**
 * Workload templates with containers that no pull-secret value reaches: no
 * `imagePullSecrets`/`pullSecrets` in the template nor in the named templates
 * it includes, and no ServiceAccount of the chart that carries pull secrets.
 */
export function workloadsWithoutPullSecrets(tree: readonly ChartTemplates[], defs: ReadonlyMap<string, string>): NoPullSecret[] {
  const out: NoPullSecret[] = [];
  const mentions = (text: string): boolean => /ullSecret/i.test(text);
  for (const c of tree) {
    const saWithSecrets = c.templates.some((t) => /^kind:\s*ServiceAccount\s*$/m.test(t.text) && mentions(t.text));
    for (const t of c.templates) {
      const kind = WORKLOAD.exec(t.text);
      if (!kind || !/containers:/.test(t.text)) continue;
      if (mentions(t.text)) continue;
      const included = [...t.text.matchAll(/include\s+"([^"]+)"/g)].some((m) => mentions(defs.get(m[1]!) ?? ''));
      if (included) continue;
      if (saWithSecrets && /serviceAccountName/.test(t.text)) continue;
      out.push({
        workload: `${kind[1]} (${c.chain})`,
        chart: c.chain,
        file: `${c.dir}/${t.name}`,
        what: 'if it is rendered, no pull-secret value of the chart reaches it: add the secret to its ServiceAccount (kubectl patch serviceaccount NAME -p \'{"imagePullSecrets":[{"name":"SECRET"}]}\'), or let the nodes pull with the mirror credentials (--emit containerd)',
      });
    }
  }
  return out;
}

/** 1-based line of the first line of `text` that holds `raw` after `image:`, else of the first that holds it (args, env). */
export function literalLine(text: string, raw: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let i = lines.findIndex((l) => /image:/.test(l) && l.includes(raw));
  if (i < 0) i = lines.findIndex((l) => l.includes(raw));
  return i < 0 ? undefined : i + 1;
}
