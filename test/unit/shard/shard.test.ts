import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { filterShard, formatShard, inShard, parseShard, shardOf } from '../../../src/shard/index.js';

function images(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const host = ['docker.io', 'quay.io', 'registry.k8s.io', 'ghcr.io'][i % 4];
    out.push(`${host}/team-${i % 13}/app-${i}:v${i % 7}.${i % 3}`);
  }
  return out;
}

describe('parseShard', () => {
  it('parses I/N', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard(' 12/100 ')).toEqual({ index: 12, count: 100 });
    expect(formatShard(parseShard('2/5'))).toBe('2/5');
  });

  it.each([
    ['', 'expected I/N'],
    ['4', 'expected I/N'],
    ['1/', 'expected I/N'],
    ['/4', 'expected I/N'],
    ['-1/4', 'expected I/N'],
    ['1.5/4', 'expected I/N'],
    ['a/b', 'expected I/N'],
    ['1/4/2', 'expected I/N'],
    ['0/0', 'at least 1'],
    ['4/4', 'below N'],
    ['7/3', 'below N'],
    ['0/100000', 'at most'],
  ])('refuses %j with a UsageError naming the input', (input, why) => {
    let err: unknown;
    try {
      parseShard(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toContain(JSON.stringify(input));
    expect(e.message).toContain(why);
    expect(e.hint).toMatch(/I\/N/);
  });
});

describe('inShard', () => {
  const list = images(500);

  it('puts every image in exactly one shard, for many N', () => {
    const list = images(150);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 149, 150, 151]) {
      const seen = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        for (const key of filterShard(list, (k) => k, { index: i, count: n })) {
          expect(seen.has(key), `${key} in shards ${seen.get(key)} and ${i} of ${n}`).toBe(false);
          seen.set(key, i);
        }
      }
      expect(seen.size).toBe(list.length);
    }
  });

  it('every shard gets work when images far outnumber shards', () => {
    for (const n of [2, 4, 8]) {
      const sizes = Array.from({ length: n }, (_, i) => list.filter((k) => inShard(k, { index: i, count: n })).length);
      for (const s of sizes) {
        // 500 images over ≤ 8 shards: a fair split gives ≥ 62; a broken hash gives 0 or all.
        expect(s).toBeGreaterThan(500 / n / 2);
        expect(s).toBeLessThan((500 / n) * 1.5);
      }
    }
  });

  it('without a shard every image is selected', () => {
    expect(inShard('docker.io/library/nginx:1.25', undefined)).toBe(true);
    expect(filterShard(list, (k) => k, undefined)).toEqual(list);
  });

  it('one shard out of one takes everything', () => {
    expect(filterShard(list, (k) => k, parseShard('0/1'))).toEqual(list);
  });

  it('is stable under additions: adding images never moves an existing one', () => {
    const before = new Map(list.map((k) => [k, shardOf(k, 4)]));
    const more = [...images(800)].reverse();
    for (const k of more) {
      if (before.has(k)) expect(shardOf(k, 4)).toBe(before.get(k));
    }
  });

  it('does not depend on input order', () => {
    const shuffled = [...list].reverse();
    const a = filterShard(list, (k) => k, { index: 1, count: 3 }).sort();
    const b = filterShard(shuffled, (k) => k, { index: 1, count: 3 }).sort();
    expect(b).toEqual(a);
  });

  it('matches SHA-256 of the key, first 48 bits modulo N (computed independently by sha256sum)', () => {
    for (const key of ['docker.io/library/nginx:1.25', 'quay.io/prometheus/node-exporter:v1.8.2']) {
      const r = spawnSync('sha256sum', [], { input: key, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sha256sum failed: ${r.stderr}`);
      const top48 = parseInt(r.stdout.slice(0, 12), 16);
      for (const n of [2, 3, 4, 7, 16, 1000, 65536]) expect(shardOf(key, n)).toBe(top48 % n);
    }
  });

  it('is stable across runs and releases (pinned values: changing them reshuffles every deployed shard)', () => {
    expect([2, 3, 4, 7, 16, 1000].map((n) => shardOf('docker.io/library/nginx:1.25', n))).toEqual([1, 1, 1, 1, 13, 885]);
    expect([2, 3, 4, 7, 16, 1000].map((n) => shardOf('registry.k8s.io/pause:3.9', n))).toEqual([0, 1, 0, 2, 4, 252]);
  });

  it('refuses a bad shard count', () => {
    expect(() => shardOf('x', 0)).toThrow(UsageError);
    expect(() => shardOf('x', 1.5)).toThrow(UsageError);
  });
});
