/** Pull-secret forms, the pull Secret manifest, and the runtime mirror files. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PullSecretSlot } from '../../../src/chart/pull-secrets.js';
import { parseTarget } from '../../../src/mapping/index.js';
import { parseDockerConfigSecret } from '../../../src/registry/credentials/secret.js';
import { planPullSecrets, pullSecretFormsFromComments, renderContainerdHosts, renderPullSecret, renderRegistriesConf } from '../../../src/relocate/index.js';

const slot = (path: (string | number)[], form: PullSecretSlot['form'], existing: string[] = [], chart = 'app'): PullSecretSlot => ({ chart, path, form, existing });

describe('planPullSecrets', () => {
  const none = (): unknown => undefined;

  it('matches the form in use, keeps existing entries, and adds global.imagePullSecrets', () => {
    const slots = [
      slot(['a', 'imagePullSecrets'], 'objects', ['old']),
      slot(['b', 'imagePullSecrets'], 'names', ['keep']),
      slot(['c', 'image', 'pullSecrets'], 'unknown'),
      slot(['d', 'serviceAccount', 'imagePullSecrets'], 'unknown'),
      slot(['jenkins', 'imagePullSecretName'], 'string'),
    ];
    const w = planPullSecrets(slots, ['mirror'], 'app', none);
    expect(w.map((x) => [x.path.join('.'), x.value, x.scope, x.declared])).toEqual([
      ['global.imagePullSecrets', [{ name: 'mirror' }], 'global', false],
      ['a.imagePullSecrets', [{ name: 'old' }, { name: 'mirror' }], 'component', true],
      ['b.imagePullSecrets', ['keep', 'mirror'], 'component', true],
      // An empty `pullSecrets` in an image map takes names (Bitnami, Grafana).
      ['c.image.pullSecrets', ['mirror'], 'image', true],
      // An empty `imagePullSecrets` follows the chart's own non-empty lists of that key (here the first: {name}).
      ['d.serviceAccount.imagePullSecrets', [{ name: 'mirror' }], 'serviceAccount', true],
      ['jenkins.imagePullSecretName', 'mirror', 'component', true],
    ]);
  });

  it('an empty list in a chart whose other lists are names gets names', () => {
    const w = planPullSecrets([slot(['global', 'imagePullSecrets'], 'names', ['x']), slot(['c', 'imagePullSecrets'], 'unknown')], ['m1', 'm2'], 'app', none);
    expect(w.map((x) => x.value)).toEqual([['x', 'm1', 'm2'], ['m1', 'm2']]);
  });

  it('nothing without --pull-secret', () => {
    expect(planPullSecrets([slot(['a', 'imagePullSecrets'], 'unknown')], [], 'app', none)).toEqual([]);
  });
});

describe('pull-secret forms documented in values comments', () => {
  const text = [
    'global:',
    '  ## E.g.',
    '  ## imagePullSecrets:',
    '  ##   - myRegistryKeySecretName',
    '  imagePullSecrets: []',
    'image:',
    '  repository: x',
    '  pullSecrets: []',
    'imagePullSecrets: []',
    '# - name: secretName',
    '',
    'other: 1',
    'filled:',
    '  # - name: x',
    '  imagePullSecrets: [a]',
    '',
  ].join('\n');

  it('reads `- name:` examples as {name} and bare `- x` examples as names, for empty lists only', () => {
    const forms = pullSecretFormsFromComments(text, ['sub']);
    expect([...forms]).toEqual([
      ['["sub","global","imagePullSecrets"]', 'names'],
      ['["sub","imagePullSecrets"]', 'objects'],
    ]);
  });

  it('wins over the default form for an empty list', () => {
    const forms = new Map([['["c","imagePullSecrets"]', 'names' as const]]);
    const w = planPullSecrets([slot(['c', 'imagePullSecrets'], 'unknown')], ['m'], 'app', () => undefined, forms);
    expect(w.find((x) => x.path.join('.') === 'c.imagePullSecrets')!.value).toEqual(['m']);
  });
});

describe('renderPullSecret', () => {
  const input = { name: 'mirror-pull', namespace: 'apps', registry: '127.0.0.1:5443', username: 'ci', password: 's3cret-Pass', caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' };

  it('is a dockerconfigjson Secret with registry, username, password and ca.crt keys', () => {
    const text = renderPullSecret(input);
    expect(text).not.toContain('s3cret-Pass');
    const doc = parse(text) as { kind: string; type: string; metadata: { name: string; namespace: string }; data: Record<string, string> };
    expect(doc.kind).toBe('Secret');
    expect(doc.type).toBe('kubernetes.io/dockerconfigjson');
    expect(doc.metadata).toMatchObject({ name: 'mirror-pull', namespace: 'apps' });
    const dec = (k: string): string => Buffer.from(doc.data[k]!, 'base64').toString('utf8');
    expect(Object.keys(doc.data).sort()).toEqual(['.dockerconfigjson', 'ca.crt', 'password', 'registry', 'username']);
    expect(dec('registry')).toBe('127.0.0.1:5443');
    expect(dec('username')).toBe('ci');
    expect(dec('password')).toBe('s3cret-Pass');
    expect(dec('ca.crt')).toBe(input.caPem);
    expect(JSON.parse(dec('.dockerconfigjson'))).toEqual({
      auths: { '127.0.0.1:5443': { username: 'ci', password: 's3cret-Pass', auth: Buffer.from('ci:s3cret-Pass').toString('base64') } },
    });
  });

  it('is read back by the registry client credentials parser (--auth-from-secret)', () => {
    const cfg = parseDockerConfigSecret(renderPullSecret(input), 'secret.yaml');
    expect(cfg.auths?.['127.0.0.1:5443']).toMatchObject({ username: 'ci', password: 's3cret-Pass' });
  });

  it('refuses names Kubernetes would refuse', () => {
    expect(() => renderPullSecret({ ...input, name: 'Bad_Name' })).toThrow(/not a valid Kubernetes name/);
  });
});

describe('runtime mirror files', () => {
  const target = parseTarget('mirror.local:5000/airgap');

  it('containerd hosts.toml per source registry, with the prefix as path (override_path)', () => {
    const files = renderContainerdHosts({ target, mode: 'default', sources: ['quay.io', 'docker.io', 'quay.io'], caFileName: 'mirror-ca.crt' });
    expect(files.map((f) => f.path)).toEqual(['docker.io/hosts.toml', 'quay.io/hosts.toml']);
    const hub = files[0]!.content;
    expect(hub).toContain('server = "https://registry-1.docker.io"');
    expect(hub).toContain('[host."https://mirror.local:5000/v2/airgap"]');
    expect(hub).toContain('override_path = true');
    expect(hub).toContain('ca = "mirror-ca.crt"');
  });

  it('preserve-registry puts the source registry in the path; no prefix and default mapping needs no path', () => {
    const [f] = renderContainerdHosts({ target, mode: 'preserve-registry', sources: ['registry.k8s.io'], plainHttp: true });
    expect(f!.content).toContain('[host."http://mirror.local:5000/v2/airgap/registry.k8s.io"]');
    const [g] = renderContainerdHosts({ target: parseTarget('mirror.local:5000'), mode: 'default', sources: ['ghcr.io'] });
    expect(g!.content).toContain('[host."https://mirror.local:5000"]');
    expect(g!.content).not.toContain('override_path');
  });

  it('registries.conf has a [[registry]] and [[registry.mirror]] per source registry', () => {
    const text = renderRegistriesConf({ target, mode: 'default', sources: ['quay.io', 'docker.io'] });
    expect(text).toContain('[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "mirror.local:5000/airgap"\ninsecure = false');
    expect(text.indexOf('"docker.io"')).toBeLessThan(text.indexOf('"quay.io"'));
  });

  it('flatten cannot be expressed as a runtime mirror', () => {
    expect(() => renderRegistriesConf({ target, mode: 'flatten', sources: ['quay.io'] })).toThrow(/cannot express --mapping flatten/);
  });
});
