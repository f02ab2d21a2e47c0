/**
 * What relocation learns from the templates of the charts the scan loaded
 * (pure: the scan's `loaded` charts are walked, nothing is read again).
 */
import type { LoadedChart } from '../chart/load.js';
import type { ValuesPath } from '../chart/types.js';
import { chartTree, defines, imageGates, literalLine, pullSecretFormFromTemplates, shaFormFromTemplates, workloadsWithoutPullSecrets } from './template-facts.js';
import type { GateWrite, NoPullSecret, PullSecretForm } from './types.js';

/** What the templates of the given top-level charts say (see template-facts.ts), for the plan. */
export interface TemplateFacts {
  /** JSON of a values path → the form the templates read that pull-secret value in. */
  pullSecretConsumed: Map<string, PullSecretForm>;
  gates: GateWrite[];
  noPullSecret: NoPullSecret[];
  /** JSON of a `sha` field's values path → whether the templates write it as bare hex or a whole digest. */
  shaForms: Map<string, 'hex' | 'digest'>;
  /** Line of a literal image in a template file (display path as the scanner gives it). */
  lineOf(file: string, raw: string): number | undefined;
}

/** The facts of the top-level charts the scan loaded (`scanCharts(...).loaded`): pure, nothing is read again. */
export function collectTemplateFacts(charts: readonly LoadedChart[], slotPaths: readonly ValuesPath[], shaPaths: readonly ValuesPath[] = []): TemplateFacts {
  const facts: TemplateFacts = { pullSecretConsumed: new Map(), gates: [], noPullSecret: [], shaForms: new Map(), lineOf: () => undefined };
  const files = new Map<string, string>();
  for (const chart of charts) {
    const tree = chartTree(chart);
    const defs = defines(tree);
    for (const c of tree) for (const t of c.templates) files.set(`${c.dir}/${t.name}`, t.text);
    for (const sp of [...slotPaths, ['global', 'imagePullSecrets']]) {
      const k = JSON.stringify(sp);
      if (facts.pullSecretConsumed.has(k)) continue;
      const f = pullSecretFormFromTemplates(tree, defs, sp);
      if (f) facts.pullSecretConsumed.set(k, f);
    }
    for (const sp of shaPaths) {
      const f = shaFormFromTemplates(tree, sp);
      if (f && !facts.shaForms.has(JSON.stringify(sp))) facts.shaForms.set(JSON.stringify(sp), f);
    }
    for (const g of imageGates(tree)) if (!facts.gates.some((x) => JSON.stringify(x.path) === JSON.stringify(g.path))) facts.gates.push(g);
    facts.noPullSecret.push(...workloadsWithoutPullSecrets(tree, defs));
  }
  facts.lineOf = (file, raw) => {
    const text = files.get(file);
    return text === undefined ? undefined : literalLine(text, raw);
  };
  return facts;
}
