/** No import circle anywhere in the TypeScript sources (type-only imports and import('…') included). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCircles, importGraph } from './import-graph.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('import graph', () => {
  const graph = importGraph(REPO_ROOT, ['cmd', 'src', 'test', 'scripts', 'fixtures']);

  it('reads the imports of every file (the walker sees the graph)', () => {
    expect(graph.get('cmd/main.ts')?.map((e) => e.to)).toContain('src/errors.ts');
    expect(graph.get('cmd/commands/index.ts')?.map((e) => e.to)).toContain('cmd/commands/sync.ts'); // import('./sync.js')
    expect(graph.get('src/endpoint/types.ts')).toContainEqual({ to: 'src/oci/types.ts', typeOnly: true });
  });

  it('finds a circle when there is one', () => {
    const g = new Map([
      ['a.ts', [{ to: 'b.ts', typeOnly: false }]],
      ['b.ts', [{ to: 'c.ts', typeOnly: true }]],
      ['c.ts', [{ to: 'a.ts', typeOnly: false }]],
      ['d.ts', [{ to: 'd.ts', typeOnly: false }]],
    ]);
    expect(importCircles(g, { withTypeOnly: true })).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
    expect(importCircles(g, { withTypeOnly: false })).toEqual([['d.ts']]);
  });

  it('has no circle', () => {
    expect(importCircles(graph, { withTypeOnly: true })).toEqual([]);
  });
});
