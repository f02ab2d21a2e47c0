/**
 * Tables and lists with a row per image at 150,000 rows: a spread into a call
 * (`Math.max(...widths)`, `push(...rows)`) puts every row on the call stack and throws
 * RangeError (Maximum call stack size exceeded) from about 100,000 rows on Node 20.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, type ReportRow } from '../../../src/copy/report.js';
import { formatPlan } from '../../../src/mirror/build.js';
import type { MirrorPlan, PlannedCopy } from '../../../src/mirror/plan.js';
import { formatCheckTable } from '../../../src/relocate/check.js';
import { formatTable } from '../../../src/chart/report.js';
import { alignRows, appendAll, columnWidths } from '../../../src/output/table.js';
import type { ScanResult } from '../../../src/chart/types.js';

const N = 150_000;
const name = (i: number): string => `r.example/team/app-${String(i).padStart(6, '0')}:1.0`;

describe('tables of 150,000 rows', () => {
  it('formatReport: one line per row, columns as wide as the widest cell', () => {
    const rows: ReportRow[] = Array.from({ length: N }, (_, i) => ({ kind: 'image', source: name(i), destination: `m.local/${name(i)}`, status: 'copied', digest: `sha256:${'a'.repeat(64)}` }));
    rows[77]!.source = `${name(77)}-the-longest`;
    const lines = formatReport(rows, 'table').trimEnd().split('\n');
    expect(lines).toHaveLength(N + 1);
    expect(lines[0]).toBe(`STATUS  ${'SOURCE'.padEnd(name(77).length + 12)}  ${'DESTINATION'.padEnd(`m.local/${name(0)}`.length)}  DIGEST`);
    expect(lines[N]).toBe(`copied  ${name(N - 1).padEnd(name(77).length + 12)}  m.local/${name(N - 1)}  sha256:${'a'.repeat(64)}`);
  });

  it('formatPlan (--dry-run)', () => {
    const copies = Array.from({ length: N }, (_, i) => ({ kind: 'image', source: name(i), destination: `m.local/${name(i)}` })) as PlannedCopy[];
    const plan = { copies, total: N, images: N } as unknown as MirrorPlan;
    const lines = formatPlan(plan, 'table').trimEnd().split('\n');
    expect(lines).toHaveLength(N + 1);
    expect(lines[1]).toBe(`image  ${name(0)}  m.local/${name(0)}`);
  });

  it("relocate --check's table and the scan's table", () => {
    const problems = Array.from({ length: N }, (_, i) => ({ where: `Deployment/app-${i}`, image: name(i), problem: 'not relocated', why: 'x' }));
    const check = formatCheckTable({ images: N, pods: N, problems } as never).trimEnd().split('\n');
    expect(check).toHaveLength(N + 1);
    const scan = { images: Array.from({ length: N }, (_, i) => ({ formatted: name(i), sources: [{ chart: 'c', kind: 'values', path: ['image'] }] })) } as unknown as ScanResult;
    expect(formatTable(scan).trimEnd().split('\n')).toHaveLength(N + 1);
  });

  it('the helpers', () => {
    const rows = Array.from({ length: N }, (_, i) => [`${i}`, 'x']);
    expect(columnWidths(rows, 2, [3, 0])).toEqual([String(N - 1).length, 1]);
    expect(alignRows([['a', 'b'], ['ccc', 'd']], [3])).toEqual(['a    b', 'ccc  d']);
    expect(appendAll([0], rows.map((_, i) => i + 1))).toHaveLength(N + 1);
  });
});
