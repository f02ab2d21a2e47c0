import { describe, expect, it } from 'vitest';
import { ConflictError, UsageError } from '../../../src/errors.js';
import { diffLocks, formatDiffText, isEmptyDiff } from '../../../src/lock/diff.js';
import { mergeLocks } from '../../../src/lock/merge.js';
import { dg, img, lock } from './fixtures.js';

describe('mergeLocks', () => {
  it('unites images by source, sorted, each once', () => {
    const a = lock([img('docker.io/c/c:1'), img('docker.io/a/a:1')]);
    const b = lock([img('docker.io/b/b:1'), img('docker.io/a/a:1')]);
    const m = mergeLocks([
      { file: 'a.json', lock: a },
      { file: 'b.json', lock: b },
    ]);
    expect(m.images.map((i) => i.source)).toEqual(['docker.io/a/a:1', 'docker.io/b/b:1', 'docker.io/c/c:1']);
    expect(m.target).toBe('mirror.test:5000/m');
    expect(m.version).toBe(1);
  });

  it('refuses the same source and destination with two digests, naming both files', () => {
    const a = lock([img('docker.io/a/a:1', 'one')]);
    const b = lock([img('docker.io/a/a:1', 'two')]);
    let err: unknown;
    try {
      mergeLocks([
        { file: 'shard-0.json', lock: a },
        { file: 'shard-1.json', lock: b },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    const msg = (err as Error).message;
    expect(msg).toContain('docker.io/a/a:1');
    expect(msg).toContain(`${dg('one')} in shard-0.json`);
    expect(msg).toContain(`${dg('two')} in shard-1.json`);
  });

  it('refuses two sources landing on one destination with different digests', () => {
    const a = lock([img('docker.io/x/app:1', 'one', { destination: 'm:5000/app:1' })]);
    const b = lock([img('quay.io/y/app:1', 'two', { destination: 'm:5000/app:1' })]);
    expect(() =>
      mergeLocks([
        { file: 'a.json', lock: a },
        { file: 'b.json', lock: b },
      ]),
    ).toThrow(/m:5000\/app:1 holds docker.io\/x\/app:1 .* according to a.json but quay.io\/y\/app:1 .* according to b.json/);
  });

  it('keeps one source at two destinations, and drops the target when locks disagree', () => {
    const a = lock([img('docker.io/a/a:1', 's', { destination: 'one:5000/a/a:1' })], { target: 'one:5000' });
    const b = lock([img('docker.io/a/a:1', 's', { destination: 'two:5000/a/a:1' })], { target: 'two:5000' });
    const m = mergeLocks([
      { file: 'a.json', lock: a },
      { file: 'b.json', lock: b },
    ]);
    expect(m.images.map((i) => i.destination)).toEqual(['one:5000/a/a:1', 'two:5000/a/a:1']);
    expect(m.target).toBeUndefined();
  });

  it('unites charts and refuses a chart with two digests', () => {
    const ch = (digest: string) => ({ name: 'app', version: '1.0.0', digest });
    const m = mergeLocks([
      { file: 'a.json', lock: lock([], { charts: [ch(dg('c'))] }) },
      { file: 'b.json', lock: lock([], { charts: [ch(dg('c')), { name: 'db', version: '2.0.0' }] }) },
    ]);
    expect(m.charts.map((c) => c.name)).toEqual(['app', 'db']);
    expect(() =>
      mergeLocks([
        { file: 'a.json', lock: lock([], { charts: [ch(dg('c'))] }) },
        { file: 'b.json', lock: lock([], { charts: [ch(dg('d'))] }) },
      ]),
    ).toThrow(/chart app 1.0.0 .* in a.json but .* in b.json/);
  });

  it('needs at least one lock', () => {
    expect(() => mergeLocks([])).toThrow(UsageError);
  });
});

describe('diffLocks', () => {
  const oldL = lock([img('docker.io/a/a:1', 'a1'), img('docker.io/b/b:1', 'b1'), img('docker.io/c/c:1', 'c1')]);
  const newL = lock([img('docker.io/d/d:1', 'd1'), img('docker.io/b/b:1', 'b2'), img('docker.io/c/c:1', 'c1')]);

  it('lists added, removed and changed images', () => {
    const d = diffLocks(oldL, newL);
    expect(d.added.map((i) => i.source)).toEqual(['docker.io/d/d:1']);
    expect(d.removed.map((i) => i.source)).toEqual(['docker.io/a/a:1']);
    expect(d.changed).toEqual([{ source: 'docker.io/b/b:1', from: dg('b1'), to: dg('b2') }]);
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('is empty for the same lock, and reverses when swapped', () => {
    expect(isEmptyDiff(diffLocks(oldL, oldL))).toBe(true);
    expect(formatDiffText(diffLocks(oldL, oldL))).toBe('');
    const r = diffLocks(newL, oldL);
    expect(r.added.map((i) => i.source)).toEqual(['docker.io/a/a:1']);
    expect(r.changed[0]).toMatchObject({ from: dg('b2'), to: dg('b1') });
  });

  it('reports a destination change', () => {
    const moved = lock([{ ...img('docker.io/c/c:1', 'c1'), destination: 'other:5000/c/c:1' }]);
    const d = diffLocks(lock([img('docker.io/c/c:1', 'c1')]), moved);
    expect(d.changed).toEqual([
      { source: 'docker.io/c/c:1', from: dg('c1'), to: dg('c1'), destination: { from: 'mirror.test:5000/m/c/c:1', to: 'other:5000/c/c:1' } },
    ]);
  });

  it('matches by source and destination when a lock holds one source at several destinations', () => {
    const two = lock([img('docker.io/a/a:1', 'a', { destination: 'x/a:1' }), img('docker.io/a/a:1', 'a', { destination: 'y/a:1' })]);
    const one = lock([img('docker.io/a/a:1', 'a', { destination: 'x/a:1' })]);
    const d = diffLocks(two, one);
    expect(d.removed.map((i) => i.destination)).toEqual(['y/a:1']);
    expect(d.added).toEqual([]);
    expect(d.changed).toEqual([]);
  });

  it('formats text lines with +, - and ~', () => {
    const text = formatDiffText(diffLocks(oldL, newL));
    expect(text.split('\n')).toEqual([
      `+ docker.io/d/d:1 ${dg('d1')} → mirror.test:5000/m/d/d:1`,
      `- docker.io/a/a:1 ${dg('a1')} (was at mirror.test:5000/m/a/a:1)`,
      `~ docker.io/b/b:1 ${dg('b1')} → ${dg('b2')}`,
      '',
    ]);
  });
});
