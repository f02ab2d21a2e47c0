import { describe, expect, it } from 'vitest';
import { checkPushConflicts, dedupeByReference } from '../../../src/bundle/conflicts.js';

const d1 = `sha256:${'1'.repeat(64)}`;
const d2 = `sha256:${'2'.repeat(64)}`;

describe('push conflicts inside a bundle', () => {
  it('two digests for one destination tag is E_CONFLICT naming both', () => {
    expect(() =>
      checkPushConflicts(
        [
          { kind: 'image', source: 'a.io/x:1', destination: 'm/x:1', digest: d1 },
          { kind: 'image', source: 'a.io/x:1', destination: 'm/x:1', digest: d2 },
        ],
        'b.tar',
      ),
    ).toThrow(expect.objectContaining({ code: 'E_CONFLICT', message: expect.stringMatching(new RegExp(`m/x:1 ← image a.io/x:1 \\(${d1}\\) and image a.io/x:1 \\(${d2}\\)`)) }));
  });
  it('an image on a chart destination is a conflict even with the same digest', () => {
    expect(() =>
      checkPushConflicts(
        [
          { kind: 'chart', source: 'charts/c-1.0.tgz', destination: 'm/charts/c:1.0', digest: d1 },
          { kind: 'image', source: 'a.io/charts/c:1.0', destination: 'm/charts/c:1.0', digest: d1 },
        ],
        'b.tar',
      ),
    ).toThrow(/image would overwrite a chart|charts\/c-1\.0\.tgz/);
  });
  it('one digest twice, or distinct destinations, is no conflict', () => {
    expect(() =>
      checkPushConflicts(
        [
          { kind: 'image', source: 'a.io/x:1', destination: 'm/x:1', digest: d1 },
          { kind: 'image', source: 'a.io/x:1', destination: 'm/x:1', digest: d1 },
          { kind: 'image', source: 'a.io/x:2', destination: 'm/x:2', digest: d2 },
        ],
        'b.tar',
      ),
    ).not.toThrow();
    const img = (formatted: string, digest: string) => ({ formatted, descriptor: { digest } });
    expect(dedupeByReference([img('a:1', d1), img('a:1', d1), img('a:1', d2)])).toHaveLength(2);
  });
});
