import { describe, expect, it } from 'vitest';
import { limit } from '../../../src/registry/limit.js';

/** A promise with its settle functions, to hold a limited call open until the test lets it go. */
function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void; fail: (e: Error) => void } {
  let open!: (v: T) => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

const ticks = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

describe('limit', () => {
  it('runs at most n calls at once and starts the waiting ones in order of arrival', async () => {
    const run = limit(2);
    const gates = Array.from({ length: 6 }, () => gate<number>());
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const results = gates.map((g, i) =>
      run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        try {
          return await g.promise;
        } finally {
          running--;
        }
      }),
    );
    await ticks();
    expect(started).toEqual([0, 1]);
    gates[1]!.open(1);
    await ticks();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open(0);
    gates[2]!.open(2);
    await ticks();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (const i of [3, 4, 5]) gates[i]!.open(i);
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('gives the slot of a call that failed, or threw before its promise, to the next one', async () => {
    const run = limit(1);
    const g = gate();
    const first = run(() => g.promise);
    const second = run(() => {
      throw new Error('thrown at once');
    });
    const third = run(async () => 'third');
    g.fail(new Error('first failed'));
    await expect(first).rejects.toThrow('first failed');
    await expect(second).rejects.toThrow('thrown at once');
    await expect(third).resolves.toBe('third');
    // the limit is whole again: two calls in a row each start
    await expect(Promise.all([run(async () => 1), run(async () => 2)])).resolves.toEqual([1, 2]);
  });

  it('keeps order and the bound over thousands of waiting calls', async () => {
    const run = limit(3);
    const order: number[] = [];
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5000 }, (_, i) =>
        run(async () => {
          most = Math.max(most, ++running);
          order.push(i);
          await Promise.resolve();
          running--;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('refuses a bound that is not a positive whole number', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => limit(n)).toThrow(/positive whole number/);
  });
});
