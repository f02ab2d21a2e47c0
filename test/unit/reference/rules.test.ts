/** airlift's own rules for references: normalisation, options, error reasons, helpers. */
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError, UsageError } from '../../../src/errors.js';
import {
  formatReference,
  isRegistryHost,
  parseReference,
  repositoryString,
  splitRepository,
  tryParseReference,
} from '../../../src/reference/index.js';

const H64 = '0123456789abcdef'.repeat(4);
const H128 = H64 + H64;

function reasonOf(input: string): string {
  const r = tryParseReference(input);
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected, got ${formatReference(r.ref)}`);
  return r.error.reason;
}

describe('Docker Hub normalisation', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/nginx:1', 'docker.io/library/nginx:1'],
    ['index.docker.io/bitnami/nginx:1', 'docker.io/bitnami/nginx:1'],
    ['bitnami/nginx:1.25', 'docker.io/bitnami/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['quay.io/app', 'quay.io/app:latest'], // library/ is for Docker Hub only
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000/a:latest'],
    ['[::1]:5000/a', '[::1]:5000/a:latest'],
  ])('%s → %s', (input, want) => {
    expect(formatReference(parseReference(input))).toBe(want);
  });
});

describe('tags and digests', () => {
  it('keeps both tag and digest', () => {
    expect(parseReference(`reg:5000/a/b:t@sha256:${H64}`)).toEqual({
      registry: 'reg:5000',
      repository: 'a/b',
      tag: 't',
      digest: `sha256:${H64}`,
    });
  });
  it('adds no default tag when a digest is given', () => {
    const ref = parseReference(`host.example/a@sha256:${H64}`);
    expect(ref.tag).toBeUndefined();
    expect(formatReference(ref)).toBe(`host.example/a@sha256:${H64}`);
  });
  it('accepts sha512 with 128 hex characters', () => {
    expect(parseReference(`a@sha512:${H128}`).digest).toBe(`sha512:${H128}`);
  });
  it('accepts a 128-character tag and refuses 129', () => {
    expect(parseReference(`a:${'t'.repeat(128)}`).tag).toHaveLength(128);
    expect(reasonOf(`a:${'t'.repeat(129)}`)).toBe('invalid tag: longer than 128 characters (129)');
  });
  it.each([
    ['a:', 'empty tag after ":"'],
    ['a:.x', 'invalid tag ".x"'],
    ['a:-x', 'invalid tag "-x"'],
    ['a:x~y', 'invalid tag "x~y"'],
    ['a:x:y', 'invalid tag "x:y"'],
    ['a@', 'empty digest after "@"'],
    [`a@sha256:${H64.slice(1)}`, 'digest: sha256 needs 64 hex characters, got 63'],
    [`a@sha256:${H64}0`, 'digest: sha256 needs 64 hex characters, got 65'],
    [`a@sha512:${H64}`, 'digest: sha512 needs 128 hex characters, got 64'],
    [`a@sha256:${H64.toUpperCase()}`, 'digest: sha256 hex must be lowercase'],
    [`a@sha256:${'g'.repeat(64)}`, 'digest: sha256 needs 64 hex characters, found non-hex characters'],
    [`a@md5:${'f'.repeat(32)}`, 'digest: unsupported algorithm "md5" (supported: sha256, sha512)'],
    [`a@${H64}`, `invalid digest "${H64}": expected algorithm:hex`],
    [`a@sha256:${H64}@sha256:${H64}`, 'more than one "@"'],
  ])('%s → %s', (input, reason) => {
    expect(reasonOf(input)).toContain(reason);
  });
});

describe('names and hosts', () => {
  it.each([
    ['', 'empty reference'],
    [' nginx', 'leading or trailing whitespace'],
    ['nginx\n', 'leading or trailing whitespace'],
    ['ng inx', 'contains whitespace'],
    ['https://quay.io/app', 'an image reference has no URL scheme: remove "https://"'],
    ['oci://host.example/app', 'remove "oci://"'],
    ['NGINX', 'repository name must be lowercase'],
    ['quay.io/Org/app', 'repository name must be lowercase'],
    ['quay.io/', 'missing repository name'],
    ['quay.io//app', 'empty path component'],
    ['a/b/', 'empty path component'],
    ['a/b..c', 'invalid path component "b..c"'],
    ['a/b___c', 'invalid path component "b___c"'],
    ['host:port/app', 'invalid registry host "host:port": the port must be a number'],
    ['host:70000/app', 'port 70000 is out of range'],
    ['a:1:2/app', 'more than one ":"'],
    ['foo_bar.com/app', 'invalid registry host "foo_bar.com": host names cannot contain "_"'],
    ['-x.com/app', 'invalid registry host "-x.com"'],
    ['[::1/app', 'missing "]"'],
    ['[::1]x/app', 'invalid registry host "[::1]x"'],
    ['[::g]:5000/app', 'is not an IPv6 address'],
    ['[1:2:3:4:5:6:7:8:9]/app', 'is not an IPv6 address'],
    ['[1::2::3]/app', 'is not an IPv6 address'],
    [`quay.io/${'a'.repeat(256)}`, 'name longer than 255 characters'],
    [`${'a'.repeat(248)}`, 'name longer than 255 characters'], // library/ makes it 256
  ])('%j → %s', (input, reason) => {
    expect(reasonOf(input)).toContain(reason);
  });

  it('counts the limit on the repository path, not the host', () => {
    expect(parseReference(`${'h'.repeat(60)}.example.com/${'a'.repeat(255)}`).repository).toHaveLength(255);
    expect(parseReference('a'.repeat(247)).repository).toHaveLength(255);
  });

  it('accepts full IPv6 forms', () => {
    expect(parseReference('[1:2:3:4:5:6:7:8]:443/x').registry).toBe('[1:2:3:4:5:6:7:8]:443');
    expect(parseReference('[::]/x').registry).toBe('[::]');
    expect(parseReference('[FE80::1]/x').registry).toBe('[FE80::1]');
  });
});

describe('errors', () => {
  it('throws InvalidReferenceError naming the input, the reason and a hint', () => {
    let err: unknown;
    try {
      parseReference('quay.io/Org/app:1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidReferenceError);
    const e = err as InvalidReferenceError;
    expect(e.code).toBe('E_REFERENCE');
    expect(e.input).toBe('quay.io/Org/app:1');
    expect(e.reason).toBe('repository name must be lowercase ("Org/app")');
    expect(e.message).toBe('invalid image reference "quay.io/Org/app:1": repository name must be lowercase ("Org/app")');
    expect(e.hint).toMatch(/lowercase/);
  });
  it('tryParseReference returns the same error instead of throwing', () => {
    const r = tryParseReference('a@sha256:1');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(InvalidReferenceError);
      expect(r.error.hint).toMatch(/sha256:<64 lowercase hex/);
    }
    const ok = tryParseReference('a');
    expect(ok).toEqual({ ok: true, ref: { registry: 'docker.io', repository: 'library/a', tag: 'latest' } });
  });
  it('survives non-string input from untyped callers', () => {
    const r = tryParseReference(42 as unknown as string);
    expect(!r.ok && r.error.reason).toBe('expected a string, got number');
  });
});

describe('options', () => {
  it('uses defaultRegistry for names without a host, with library/ only on Docker Hub', () => {
    expect(formatReference(parseReference('nginx', { defaultRegistry: 'mirror.example:5000' }))).toBe(
      'mirror.example:5000/nginx:latest',
    );
    expect(formatReference(parseReference('nginx', { defaultRegistry: 'index.docker.io' }))).toBe(
      'docker.io/library/nginx:latest',
    );
    expect(parseReference('quay.io/a', { defaultRegistry: 'mirror.example' }).registry).toBe('quay.io');
  });
  it('refuses a defaultRegistry that is not a host', () => {
    expect(() => parseReference('nginx', { defaultRegistry: 'mirror' })).toThrow(UsageError);
    expect(() => parseReference('nginx', { defaultRegistry: 'bad_host.com' })).toThrow(UsageError);
  });
  it('applies defaultTag, or none with null', () => {
    expect(parseReference('nginx', { defaultTag: 'stable' }).tag).toBe('stable');
    expect(parseReference('nginx', { defaultTag: null })).toEqual({ registry: 'docker.io', repository: 'library/nginx' });
    expect(parseReference('nginx:1', { defaultTag: null }).tag).toBe('1');
    expect(() => parseReference('nginx', { defaultTag: '-bad' })).toThrow(UsageError);
  });
  it('returns frozen references', () => {
    expect(Object.isFrozen(parseReference('nginx'))).toBe(true);
  });
});

describe('formatReference / repositoryString', () => {
  it('formats the documented shapes', () => {
    expect(formatReference({ registry: 'docker.io', repository: 'library/nginx', tag: '1.25' })).toBe(
      'docker.io/library/nginx:1.25',
    );
    expect(formatReference({ registry: 'reg:5000', repository: 'a/b', tag: 't', digest: `sha256:${H64}` })).toBe(
      `reg:5000/a/b:t@sha256:${H64}`,
    );
    expect(formatReference({ registry: 'host', repository: 'a', digest: `sha256:${H64}` })).toBe(`host/a@sha256:${H64}`);
    expect(repositoryString(parseReference('nginx:1.25'))).toBe('docker.io/library/nginx');
    expect(repositoryString(parseReference(`[::1]:5000/a/b:t@sha256:${H64}`))).toBe('[::1]:5000/a/b');
  });
});

describe('isRegistryHost', () => {
  it.each([
    ['quay.io', true],
    ['localhost', true],
    ['localhost:5000', true],
    ['host:5000', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['127.0.0.1', true],
    ['LOCALDOMAIN', true], // uppercase: a host per distribution
    ['bitnami', false],
    ['library', false],
    ['', false],
    ['foo_bar.com', false],
    ['host:http', false],
    ['host:99999', false],
    ['[fe80::1%eth0]:5000', false],
    ['quay.io/org', false],
  ])('%j → %s', (s, want) => {
    expect(isRegistryHost(s)).toBe(want);
  });
});

describe('splitRepository', () => {
  it.each([
    ['quay.io/org/app', { registry: 'quay.io', path: 'org/app' }],
    ['registry.k8s.io/kube-state-metrics/kube-state-metrics', { registry: 'registry.k8s.io', path: 'kube-state-metrics/kube-state-metrics' }],
    ['localhost:5000/app', { registry: 'localhost:5000', path: 'app' }],
    ['[::1]:5000/a/b', { registry: '[::1]:5000', path: 'a/b' }],
    ['bitnami/nginx', { path: 'bitnami/nginx' }],
    ['nginx', { path: 'nginx' }],
    ['docker.io/bitnami/nginx', { registry: 'docker.io', path: 'bitnami/nginx' }],
  ] as [string, { registry?: string; path: string }][])('%s', (s, want) => {
    expect(splitRepository(s)).toEqual(want);
  });
  it('uses the same rule as the parser', () => {
    for (const s of ['quay.io/org/app', 'bitnami/nginx', 'localhost/x', 'Foo/bar']) {
      const split = splitRepository(s);
      const ref = parseReference(s);
      expect(ref.registry).toBe(split.registry ?? 'docker.io');
    }
  });
});
