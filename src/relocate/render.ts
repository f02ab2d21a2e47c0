/**
 * Rendering a plan (pure): the overrides file `helm install -f` takes, and
 * the human-readable plan `--dry-run` prints.
 */
import { stringify } from 'yaml';
import { buildTree, formatPath, sortTree } from './values-tree.js';
import type { ChartValues, RelocationPlan } from './types.js';
import { columnWidths } from '../output/table.js';

const YAML_OPTS = { lineWidth: 0, indent: 2 } as const;

function header(plan: RelocationPlan): string {
  const lines = [
    `Values overrides written by ${plan.generator} (airlift relocate).`,
    `Charts: ${plan.charts.join(', ') || '(none)'}`,
    `Mirror: ${plan.target} (mapping: ${plan.mode})`,
    `Images relocated: ${new Set(plan.images.map((i) => i.source)).size}`,
  ];
  for (const g of plan.gates) lines.push(`Image check: ${formatPath(g.path)} ${g.why} (${g.file}).`);
  const left = plan.unrelocatable.filter((u) => !u.covered && !u.invalid);
  if (left.length > 0) {
    lines.push(`Not relocatable by values (redirect them at the runtime, e.g. --emit containerd):`);
    for (const u of left) lines.push(`  ${u.ref} (${u.reason}; ${u.file}${u.line !== undefined ? `:${u.line}` : ''})`);
  }
  if (plan.noPullSecret.length > 0) {
    lines.push(`No pull-secret value reaches these workloads (add the secret to their ServiceAccount, or --emit containerd):`);
    for (const n of plan.noPullSecret) lines.push(`  ${n.workload}: ${n.file}`);
  }
  const invalid = plan.unrelocatable.filter((u) => u.invalid);
  if (invalid.length > 0) {
    lines.push(`Not relocated: the chart does not give a complete reference (set it in your values and run again):`);
    for (const u of invalid) lines.push(`  ${formatPath(u.path) || u.file}: ${u.reason}`);
  }
  lines.push(`Use: helm install ... -f <your values> -f <this file>`);
  return lines.map((l) => `# ${l}`).join('\n') + '\n';
}

/** The overrides YAML: a header comment, then the writes as one nested map (`global` first, keys sorted). */
export function renderOverrides(plan: RelocationPlan, chartsValues: readonly ChartValues[] = []): string {
  const tree = sortTree(buildTree(plan.writes, chartsValues));
  const body = plan.writes.length === 0 ? '{}\n' : stringify(tree, YAML_OPTS);
  return header(plan) + body;
}

function table(rows: string[][]): string {
  const widths = columnWidths(rows, rows[0]!.length);
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The plan as text: one row per image, then globals, pull secrets and what values cannot relocate. */
export function formatPlanText(plan: RelocationPlan): string {
  let out = `relocation plan: ${plan.charts.join(', ')} → ${plan.target} (mapping ${plan.mode})\n\n`;
  const rows = [['VALUES PATH', 'LAYOUT', 'SOURCE', 'DESTINATION', 'WRITES']];
  for (const i of plan.images) {
    const writes = i.writes.map((w) => `${formatPath(w.path)}=${show(w.value)}`);
    if (i.viaGlobal) writes.push(`(registry from ${formatPath(i.viaGlobal)})`);
    rows.push([formatPath(i.path) || '(top)', i.layout, i.source, i.destination, writes.join(' ') || '(nothing to change)']);
  }
  out += table(rows);
  if (plan.globals.length > 0) {
    out += '\nglobal registries:\n';
    for (const g of plan.globals) out += `  ${formatPath(g.path)} = ${JSON.stringify(g.value)} (${g.strategy}; read by ${g.readers.length} image${g.readers.length === 1 ? '' : 's'})\n`;
  }
  if (plan.pullSecrets.length > 0) {
    out += '\npull secrets:\n';
    for (const p of plan.pullSecrets) out += `  ${formatPath(p.path)} = ${JSON.stringify(p.value)} (${p.scope}, ${p.form}${p.declared ? '' : ', added'})\n`;
  }
  const invalid = plan.unrelocatable.filter((u) => u.invalid);
  if (invalid.length > 0) {
    out += '\nnot relocated (incomplete or malformed reference; set it in your values):\n';
    for (const u of invalid) out += `  ${formatPath(u.path) || u.file}: ${u.reason}\n`;
  }
  const left = plan.unrelocatable.filter((u) => !u.covered && !u.invalid);
  if (left.length > 0) {
    out += '\nnot relocatable by values (use --emit containerd or --emit registries-conf to redirect them at the runtime):\n';
    for (const u of left) out += `  ${u.ref}  ${u.kind}  ${u.file}: ${u.reason}\n`;
  }
  return out;
}

/** The plan as YAML (for `--dry-run -o` with a .yaml/.json consumer). */
export function formatPlanYaml(plan: RelocationPlan): string {
  return stringify(plan, YAML_OPTS);
}
