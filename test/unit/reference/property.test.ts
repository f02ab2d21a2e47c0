/**
 * Property tests over random and mutated strings (seeded, so failures
 * reproduce). For every input the parser either returns a Reference that
 * formats and parses back to itself, or throws InvalidReferenceError; and it
 * agrees with an oracle written directly from the upstream algorithm
 * (distribution/reference normalize.go splitDockerDomain + ParseNormalizedNamed,
 * reference.go Parse, on the whole-reference regexp), plus airlift's documented
 * extra checks.
 */
import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../../../src/errors.js';
import { ANCHORED_NAME_RE, IDENTIFIER_RE, REFERENCE_RE } from '../../../src/reference/grammar.js';
import { formatReference, parseReference, type Reference } from '../../../src/reference/index.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const H64 = 'e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';

/** The upstream algorithm, with airlift's deviations (each one commented). */
function oracle(s: string): Reference | null {
  if (s === '' || IDENTIFIER_RE.test(s)) return null;
  if (s.length > 2048) return null; // airlift: refuses absurdly long input up front
  // splitDockerDomain
  let domain: string;
  let remainder: string;
  const slash = s.indexOf('/');
  if (slash < 0) {
    domain = 'docker.io';
    remainder = `library/${s}`;
  } else {
    const maybe = s.slice(0, slash);
    const rest = s.slice(slash + 1);
    if (maybe === 'localhost' || /[.:]/.test(maybe) || maybe.toLowerCase() !== maybe) {
      domain = maybe === 'index.docker.io' ? 'docker.io' : maybe;
      remainder = rest;
    } else {
      domain = 'docker.io';
      remainder = s;
    }
    if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  }
  const colon = remainder.indexOf(':');
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) return null;
  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (!m) return null;
  const nm = ANCHORED_NAME_RE.exec(m[1]!);
  if (!nm) return null;
  const path = nm[2]!;
  if (path.length > 255) return null;
  // airlift: a first component read as a host must be a host (upstream would fall back to a host-less path)
  if ((nm[1] ?? '') !== domain) return null;
  // airlift: port in 1..65535, bracketed IPv6 must be an IPv6 address
  const port = /:([0-9]+)$/.exec(domain.replace(/^\[[^\]]*\]/, ''));
  if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) return null;
  const v6 = /^\[([^\]]*)\]/.exec(domain);
  if (v6 && !isIPv6(v6[1]!)) return null;
  const digest = m[3];
  if (digest !== undefined) {
    const [alg, hex] = digest.split(':') as [string, string];
    const len = alg === 'sha256' ? 64 : alg === 'sha512' ? 128 : -1;
    if (hex.length !== len || !/^[a-f0-9]+$/.test(hex)) return null;
  }
  const tag = m[2] ?? (digest === undefined ? 'latest' : undefined);
  return {
    registry: domain,
    repository: path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

function check(input: string): 'ok' | 'invalid' {
  let ref: Reference | undefined;
  try {
    ref = parseReference(input);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw new Error(`non-reference error for ${JSON.stringify(input)}: ${String(err)}`);
    expect(err.input).toBe(input.length > 300 ? `${input.slice(0, 300)}… (${input.length} characters)` : input);
    expect(err.reason.length).toBeGreaterThan(0);
  }
  const want = oracle(input);
  if (ref === undefined) {
    expect(want, `parser rejected ${JSON.stringify(input)}, oracle accepted`).toBeNull();
    return 'invalid';
  }
  expect(ref, `parser and oracle differ on ${JSON.stringify(input)}`).toEqual(want);
  const again = parseReference(formatReference(ref));
  expect(again, `round trip of ${JSON.stringify(input)}`).toEqual(ref);
  expect(formatReference(again)).toBe(formatReference(ref));
  return 'ok';
}

const TOKENS = [
  'a', 'b', 'z', '0', '9', 'x1', 'A', 'Q', '.', '_', '__', '-', '--', ':', '/', '/', '/', '@', '[', ']', '::',
  'localhost', 'docker.io', 'index.docker.io', 'quay.io', '127.0.0.1', 'sha256:', 'sha512:', H64, '5000', '99999',
  'library/', ' ', '%', 'ffff', 'fe80', 'latest', '~', '$', 'h.io:70000/', 'h.io:65535/', '[fe80::1]:', '0/',
];
const CHARS = [...'abz09AZ._-:/@[]%~ \t'];

const SEEDS = [
  'nginx',
  'bitnami/nginx:1.25',
  'docker.io/library/nginx:1.25',
  `quay.io/org/app:v1.2.3@sha256:${H64}`,
  'localhost:5000/team/app',
  '[::1]:5000/a/b:t',
  '192.168.1.1:5000/repo:5050',
  `registry.k8s.io/a__b/c---d.e@sha256:${H64}`,
  'index.docker.io/x',
  'reg.example:6553/x',
  '[fd00::12]:443/x/y',
];

function mutate(s: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const i = Math.floor(rnd() * (s.length + 1));
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return s.slice(0, i) + s.slice(i + 1);
    case 1:
      return s.slice(0, i) + pick(CHARS) + s.slice(i);
    case 2:
      return s.slice(0, i) + pick(CHARS) + s.slice(i + 1);
    case 3:
      return s.slice(0, i) + pick(TOKENS) + s.slice(i);
    default: {
      const c = s.charAt(i);
      return s.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + s.slice(i + 1);
    }
  }
}

describe('parser properties', () => {
  it('random token strings: valid round trip or InvalidReferenceError, agreeing with the oracle', () => {
    const rnd = mulberry32(0xa1f7);
    const counts = { ok: 0, invalid: 0 };
    for (let n = 0; n < 3000; n++) {
      const len = Math.floor(rnd() * 10);
      let s = '';
      for (let k = 0; k < len; k++) s += TOKENS[Math.floor(rnd() * TOKENS.length)];
      counts[check(s)]++;
    }
    // both outcomes must actually be exercised
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.invalid).toBeGreaterThan(100);
  });

  it('mutated valid references: same properties', () => {
    const rnd = mulberry32(0x5eed);
    const counts = { ok: 0, invalid: 0 };
    for (let n = 0; n < 3000; n++) {
      let s = SEEDS[n % SEEDS.length]!;
      const steps = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < steps; k++) s = mutate(s, rnd);
      counts[check(s)]++;
    }
    expect(counts.ok).toBeGreaterThan(300);
    expect(counts.invalid).toBeGreaterThan(300);
  });

  it('long inputs are refused cleanly, quoting only their start', () => {
    for (const s of ['a'.repeat(100_000), `${'a/'.repeat(50_000)}a`, `x.io/${'a-'.repeat(50_000)}`, `a:${'b'.repeat(100_000)}`]) {
      expect(check(s)).toBe('invalid');
      expect(() => parseReference(s)).toThrow(/longer than 2048 characters/);
    }
    // just under the cap: handled by the normal rules
    expect(check(`x.io/${'a-'.repeat(1000)}`)).toBe('invalid');
    expect(() => parseReference(`x.io/${'a-'.repeat(1000)}`)).toThrow(/invalid path component/);
  });
});
