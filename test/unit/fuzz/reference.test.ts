/**
 * Fuzz of the reference parser (deterministic seed, bounded in count and
 * time): random strings over the reference alphabet and mutations of valid
 * references. Every input either throws InvalidReferenceError naming the
 * input, or parses to a Reference that formats to a string matching the
 * distribution grammar and parses back to the same Reference.
 */
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../../../src/errors.js';
import { formatReference, parseReference, type Reference } from '../../../src/reference/index.js';
import { REFERENCE_RE } from '../../../src/reference/grammar.js';
import { rng, type Rng } from './prng.js';

const SEEDS = [1, 7, 20240611];
const PER_SEED = 4000;
const BUDGET_MS = 1500;

const ALPHABET = 'abcz09AZ-_.:/@[]'.split('');
const EXTRA = [' ', '\t', '\0', 'é', '\u202e', '%', '?', '#', '\\', '\n'];
const SEEDS_VALID = [
  'nginx',
  'nginx:1.25',
  'docker.io/library/nginx:1.25',
  'quay.io/prometheus/node-exporter:v1.8.1',
  '127.0.0.1:5000/fixtures/alpha:1.0',
  '[::1]:5000/a/b:t',
  'localhost/foo_bar__baz-qux:latest',
  `ghcr.io/org/app@sha256:${'a'.repeat(64)}`,
  `registry.example.com:443/a/b/c:tag@sha512:${'0'.repeat(128)}`,
];

function randomString(r: Rng): string {
  const len = r.int(40);
  let s = '';
  for (let i = 0; i < len; i++) s += r.next() < 0.95 ? r.pick(ALPHABET) : r.pick(EXTRA);
  return s;
}

function mutate(r: Rng, s: string): string {
  const ops = r.int(3) + 1;
  let out = s;
  for (let i = 0; i < ops; i++) {
    const at = r.int(out.length + 1);
    switch (r.int(5)) {
      case 0: // delete a character
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      case 1: // insert one
        out = out.slice(0, at) + r.pick([...ALPHABET, ...EXTRA]) + out.slice(at);
        break;
      case 2: // replace one
        out = out.slice(0, at) + r.pick(ALPHABET) + out.slice(at + 1);
        break;
      case 3: // duplicate a slice
        out = out.slice(0, at) + out.slice(at, at + r.int(8)) + out.slice(at);
        break;
      default: // change case
        out = out.slice(0, at) + out.slice(at, at + 3).toUpperCase() + out.slice(at + 3);
    }
  }
  return out;
}

function check(input: string): 'ok' | 'invalid' {
  let ref: Reference;
  try {
    ref = parseReference(input);
  } catch (err) {
    expect(err, `input ${JSON.stringify(input)}`).toBeInstanceOf(InvalidReferenceError);
    const e = err as InvalidReferenceError;
    expect(e.code).toBe('E_REFERENCE');
    // The message names the input (long inputs shortened, URL credentials redacted) and stays readable.
    expect(e.message.startsWith('invalid image reference "')).toBe(true);
    expect(e.message.length).toBeLessThan(2000);
    if (input.length <= 200 && !input.includes('@')) expect(e.message).toContain(JSON.stringify(input));
    return 'invalid';
  }
  const text = formatReference(ref);
  expect(REFERENCE_RE.test(text), `${JSON.stringify(input)} → ${text} is outside the reference grammar`).toBe(true);
  expect(parseReference(text), `${JSON.stringify(input)} → ${text} does not round-trip`).toEqual(ref);
  expect(ref.tag !== undefined || ref.digest !== undefined).toBe(true);
  return 'ok';
}

describe('reference parser fuzz', () => {
  it('only ever returns a round-trippable Reference or throws InvalidReferenceError', () => {
    const started = Date.now();
    const seen = { ok: 0, invalid: 0 };
    for (const seed of SEEDS) {
      const r = rng(seed);
      for (let i = 0; i < PER_SEED && Date.now() - started < BUDGET_MS * ((SEEDS.indexOf(seed) + 1) / SEEDS.length); i++) {
        const input = r.next() < 0.5 ? randomString(r) : mutate(r, r.pick(SEEDS_VALID));
        seen[check(input)]++;
      }
    }
    // The mix must exercise both outcomes, or the fuzz proves nothing.
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.invalid).toBeGreaterThan(100);
  });

  it('handles very long inputs quickly (no super-linear backtracking)', () => {
    const long = [
      'a'.repeat(100_000),
      `${'a-'.repeat(50_000)}!`,
      `${'a.'.repeat(50_000)}b:tag`,
      `host/${'a/'.repeat(50_000)}`,
      `h:${'1'.repeat(100_000)}/a`,
      `a@sha256:${'f'.repeat(100_000)}`,
      `a:${'t'.repeat(100_000)}`,
      `[${':'.repeat(50_000)}]/a`,
    ];
    const started = Date.now();
    for (const s of long) expect(check(s)).toBe('invalid');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
