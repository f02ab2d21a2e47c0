/**
 * Rendering a chart's templates the way `helm template` does (pure, given
 * the loaded charts and their merged values): every template of every
 * enabled chart and subchart is parsed into one set of defines (subcharts
 * first, so a parent's define of the same name wins), then each non-partial
 * template is executed with its own chart's `.Values`, `.Chart`, `.Release`
 * (name "release", namespace "default", as the acceptance renders use),
 * `.Capabilities` and `.Template`. A template that fails is reported with its
 * error and does not stop the others.
 */
import { Engine } from './template/exec.js';
import { filesObject } from './template/funcs.js';
import type { TNode } from './template/parse.js';
import type { LoadedChart } from './load.js';
import type { Values } from './values.js';

/** The Kubernetes version templates see (`.Capabilities.KubeVersion`), as `helm template --kube-version`. */
export const KUBE_VERSION = 'v1.34.0';
export const RELEASE_NAME = 'release';
export const RELEASE_NAMESPACE = 'default';

/** Built-in API groups/versions of Kubernetes 1.34 (`.Capabilities.APIVersions.Has`). */
const API_VERSIONS = new Set([
  'v1',
  'apps/v1',
  'batch/v1',
  'policy/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1',
  'admissionregistration.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'storage.k8s.io/v1',
  'scheduling.k8s.io/v1',
  'coordination.k8s.io/v1',
  'discovery.k8s.io/v1',
  'certificates.k8s.io/v1',
  'node.k8s.io/v1',
  'events.k8s.io/v1',
  'flowcontrol.apiserver.k8s.io/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'resource.k8s.io/v1',
]);

export interface RenderUnit {
  chart: LoadedChart;
  /** The chart's merged values (a subchart's own, with `global`). */
  values: Values;
  /** Chain from the top chart, with aliases: "kyverno/reports-server". */
  chain: string;
  /** Helm's template path prefix: "kyverno/charts/reports-server". */
  tplPrefix: string;
  depth: number;
}

export interface RenderedFile {
  unit: RenderUnit;
  /** Template path inside its chart: "templates/deployment.yaml". */
  template: string;
  /** The file as shown to users (chart path + template). */
  file: string;
  text?: string;
  error?: string;
}

const CHART_FIELDS: Record<string, string> = {
  name: 'Name',
  version: 'Version',
  appVersion: 'AppVersion',
  description: 'Description',
  type: 'Type',
  annotations: 'Annotations',
  home: 'Home',
  sources: 'Sources',
  keywords: 'Keywords',
  maintainers: 'Maintainers',
  icon: 'Icon',
  apiVersion: 'APIVersion',
  kubeVersion: 'KubeVersion',
  dependencies: 'Dependencies',
  deprecated: 'Deprecated',
};

function chartObject(meta: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  // (a copy of what is under it: Chart.yaml's parse is frozen and shared, and a template may `set` into .Chart.Annotations)
  for (const [k, v] of Object.entries(meta)) o[CHART_FIELDS[k] ?? k] = v !== null && typeof v === 'object' ? structuredClone(v) : v;
  if (o.AppVersion !== undefined && typeof o.AppVersion !== 'string') o.AppVersion = String(o.AppVersion);
  if (o.Version !== undefined && typeof o.Version !== 'string') o.Version = String(o.Version);
  return o;
}

function capabilities(): Record<string, unknown> {
  const [major, minor] = KUBE_VERSION.slice(1).split('.');
  const apiVersions: Record<string, unknown> = {};
  Object.defineProperty(apiVersions, 'Has', {
    enumerable: false,
    value: (v: unknown) => {
      const s = String(v);
      if (API_VERSIONS.has(s)) return true;
      const i = s.lastIndexOf('/');
      return i > 0 && API_VERSIONS.has(s.slice(0, i)) && /^[A-Z]/.test(s.slice(i + 1));
    },
  });
  return {
    KubeVersion: { Version: KUBE_VERSION, GitVersion: KUBE_VERSION, Major: major, Minor: minor },
    APIVersions: apiVersions,
    HelmVersion: { Version: 'v3.22.0', GitCommit: '', GitTreeState: 'clean', GoVersion: 'go1.26' },
  };
}

/** Renders every enabled unit; `units` in walk order (parents before their subcharts). */
export function renderCharts(units: RenderUnit[]): RenderedFile[] {
  const engine = new Engine();
  const bodies = new Map<string, { unit: RenderUnit; template: string; body?: TNode[]; error?: string }>();
  // Helm parses deeper charts first, so that a parent's define of the same name wins.
  const ordered = [...units].sort((a, b) => b.depth - a.depth);
  for (const u of ordered) {
    for (const t of u.chart.templates) {
      const name = `${u.tplPrefix}/${t.name}`;
      try {
        const body = engine.add(t.text, name);
        // Every file is also a template by its own name (`include (print $.Template.BasePath "/cm.yaml") .`).
        engine.defines.set(name, body);
        bodies.set(name, { unit: u, template: t.name, body });
      } catch (e) {
        bodies.set(name, { unit: u, template: t.name, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  const caps = capabilities();
  const out: RenderedFile[] = [];
  for (const u of units) {
    // A library chart lends its defines; helm renders none of its templates.
    if (u.chart.type === 'library') continue;
    const chart = chartObject(u.chart.metadata);
    for (const t of u.chart.templates) {
      const base = t.name.split('/').pop()!;
      if (base.startsWith('_') || !/\.(ya?ml|tpl)$/i.test(base)) continue;
      const name = `${u.tplPrefix}/${t.name}`;
      const file = u.chart.packaged ? `${u.chart.path}!/${t.name}` : `${u.chart.path}/${t.name}`;
      const b = bodies.get(name)!;
      if (b.error !== undefined || !b.body) {
        out.push({ unit: u, template: t.name, file, error: b.error ?? 'not parsed' });
        continue;
      }
      const dot = {
        Values: u.values,
        Chart: chart,
        Release: { Name: RELEASE_NAME, Namespace: RELEASE_NAMESPACE, Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
        Capabilities: caps,
        Template: { Name: name, BasePath: `${u.tplPrefix}/templates` },
        Files: fileAccess(),
        Subcharts: {},
      };
      try {
        out.push({ unit: u, template: t.name, file, text: engine.render(b.body, dot, name) });
      } catch (e) {
        out.push({ unit: u, template: t.name, file, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  return out;
}

/** `.Files`: airlift does not read a chart's extra files; Get gives "" and Glob nothing. */
function fileAccess(): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  Object.defineProperty(o, 'Get', { enumerable: false, value: () => '' });
  Object.defineProperty(o, 'GetBytes', { enumerable: false, value: () => '' });
  Object.defineProperty(o, 'Glob', { enumerable: false, value: () => filesObject() });
  Object.defineProperty(o, 'Lines', { enumerable: false, value: () => [] });
  Object.defineProperty(o, 'AsConfig', { enumerable: false, value: () => '' });
  Object.defineProperty(o, 'AsSecrets', { enumerable: false, value: () => '' });
  return o;
}
