import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, AuthError, redact } from '../../../src/errors.js';
import {
  containersAuthPaths,
  createCredentialResolver,
  decodeEntry,
  findEntry,
  parseDockerConfigSecret,
} from '../../../src/registry/credentials/index.js';
import { dockerConfigPath } from '../../../src/registry/credentials/docker-config.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('auth entries', () => {
  it('splits user:password at the first colon (passwords may contain colons, e.g. GCR _json_key)', () => {
    const key = JSON.stringify({ type: 'service_account', private_key: 'k:e:y' });
    expect(decodeEntry({ auth: b64(`_json_key:${key}`) }, 'f')).toEqual({ username: '_json_key', password: key, source: 'f' });
  });
  it('reads identitytoken and registrytoken, and username/password fields', () => {
    expect(decodeEntry({ auth: b64('u:'), identitytoken: 'refresh-123' }, 'f')).toMatchObject({ username: 'u', identityToken: 'refresh-123' });
    expect(decodeEntry({ registrytoken: 'bearer-xyz' }, 'f')).toMatchObject({ registryToken: 'bearer-xyz' });
    expect(decodeEntry({ username: 'a', password: 'b-secret' }, 'f')).toMatchObject({ username: 'a', password: 'b-secret' });
    expect(decodeEntry({}, 'f')).toBeUndefined();
    expect(() => decodeEntry({ auth: b64('nocolon') }, 'f')).toThrow(InputError);
  });
  it('registers secrets for redaction', () => {
    decodeEntry({ auth: b64('u:very-secret-pw') }, 'f');
    expect(redact('failed with very-secret-pw')).toBe('failed with ***');
  });
  it('finds entries by host with scheme/v1 suffixes, Docker Hub aliases, and repository-scoped keys (longest first)', () => {
    const auths = {
      'https://index.docker.io/v1/': { auth: b64('hub:1') },
      'http://r.example:5000/': { auth: b64('r:1') },
      'r.example:5000/team': { auth: b64('team:1') },
      'r.example:5000/team/app': { auth: b64('app:1') },
    };
    expect(findEntry(auths, 'docker.io')?.key).toBe('https://index.docker.io/v1/');
    expect(findEntry(auths, 'registry-1.docker.io')?.key).toBe('https://index.docker.io/v1/');
    expect(findEntry(auths, 'r.example:5000')?.key).toBe('http://r.example:5000/');
    expect(findEntry(auths, 'r.example:5000', 'team/app')?.key).toBe('r.example:5000/team/app');
    expect(findEntry(auths, 'r.example:5000', 'team/other')?.key).toBe('r.example:5000/team');
    expect(findEntry(auths, 'r.example:5000', 'else/x')?.key).toBe('http://r.example:5000/');
    expect(findEntry(auths, 'r.example')).toBeUndefined();
  });
});

describe('Kubernetes dockerconfigjson Secret', () => {
  const cfg = JSON.stringify({ auths: { 'reg.lan': { auth: b64('k8s:pw-1') } } });
  it('reads data (base64) from YAML', () => {
    const yaml = `apiVersion: v1\nkind: Secret\nmetadata: {name: pull}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${b64(cfg)}\n`;
    expect(parseDockerConfigSecret(yaml, 's.yaml').auths).toEqual({ 'reg.lan': { auth: b64('k8s:pw-1') } });
  });
  it('reads stringData from JSON, a List, several documents, and the legacy dockercfg type', () => {
    const json = JSON.stringify({ kind: 'List', items: [{ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': cfg } }] });
    expect(Object.keys(parseDockerConfigSecret(json, 's.json').auths!)).toEqual(['reg.lan']);
    const legacy = JSON.stringify({ 'old.lan': { auth: b64('o:p') } });
    const multi = `kind: ConfigMap\n---\nkind: Secret\ntype: kubernetes.io/dockercfg\ndata:\n  .dockercfg: ${b64(legacy)}\n`;
    expect(Object.keys(parseDockerConfigSecret(multi, 'm.yaml').auths!)).toEqual(['old.lan']);
  });
  it('names the file when it holds no such Secret or is not YAML', () => {
    expect(() => parseDockerConfigSecret('kind: Secret\ntype: Opaque\n', 'opaque.yaml')).toThrow(/opaque\.yaml holds no Secret/);
    expect(() => parseDockerConfigSecret('a: [b', 'broken.yaml')).toThrow(/broken\.yaml/);
  });
});

describe('credential resolver (files and helpers)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-creds-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('paths: DOCKER_CONFIG, HOME, REGISTRY_AUTH_FILE, XDG dirs', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/d' })).toBe('/d/config.json');
    expect(dockerConfigPath({ HOME: '/h' })).toBe('/h/.docker/config.json');
    expect(containersAuthPaths({ REGISTRY_AUTH_FILE: '/a.json', XDG_RUNTIME_DIR: '/run' })).toEqual(['/a.json']);
    expect(containersAuthPaths({ XDG_RUNTIME_DIR: '/run/u', HOME: '/h' })).toEqual(['/run/u/containers/auth.json', '/h/.config/containers/auth.json']);
  });

  it('order: --auth-from-secret, then auth.json, then docker config', async () => {
    const d = path.join(dir, 'order');
    await mkdir(path.join(d, 'docker'), { recursive: true });
    await writeFile(path.join(d, 'docker', 'config.json'), JSON.stringify({ auths: { a: { auth: b64('docker:1111') }, b: { auth: b64('docker:2222') }, c: { auth: b64('docker:3333') } } }));
    await writeFile(path.join(d, 'auth.json'), JSON.stringify({ auths: { a: { auth: b64('containers:1111') }, b: { auth: b64('containers:2222') } } }));
    const secret = JSON.stringify({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify({ auths: { a: { auth: b64('secret:1111') } } }) } });
    await writeFile(path.join(d, 'secret.json'), secret);
    const r = createCredentialResolver({ env: { DOCKER_CONFIG: path.join(d, 'docker'), REGISTRY_AUTH_FILE: path.join(d, 'auth.json'), HOME: d }, authFromSecret: [path.join(d, 'secret.json')] });
    expect((await r.get('a'))?.username).toBe('secret');
    expect((await r.get('b'))?.username).toBe('containers');
    expect((await r.get('c'))?.username).toBe('docker');
    expect(await r.get('d')).toBeUndefined();
  });

  it('a missing REGISTRY_AUTH_FILE or secret file is an error naming it; a missing default file is not', async () => {
    await expect(createCredentialResolver({ env: { REGISTRY_AUTH_FILE: path.join(dir, 'nope.json'), HOME: dir } }).get('x')).rejects.toThrow(/nope\.json/);
    await expect(createCredentialResolver({ env: { HOME: dir }, authFromSecret: [path.join(dir, 'nosecret.yaml')] }).get('x')).rejects.toThrow(/nosecret\.yaml/);
    expect(await createCredentialResolver({ env: { HOME: path.join(dir, 'empty-home') } }).get('x')).toBeUndefined();
  });

  it('a malformed docker config is an InputError naming the file', async () => {
    const d = path.join(dir, 'bad');
    await mkdir(d, { recursive: true });
    await writeFile(path.join(d, 'config.json'), '{ not json');
    await expect(createCredentialResolver({ env: { DOCKER_CONFIG: d, HOME: dir } }).get('x')).rejects.toThrow(/config\.json/);
  });

  it('credHelpers and credsStore run docker-credential-<name> get', async () => {
    const d = path.join(dir, 'helpers');
    const bin = path.join(d, 'bin');
    await mkdir(bin, { recursive: true });
    // a helper that knows two servers: one user/password, one identity token
    await writeFile(
      path.join(bin, 'docker-credential-fake'),
      `#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\ncase "$server" in\n  helped.lan) echo '{"ServerURL":"helped.lan","Username":"hu","Secret":"helper-pass"}';;\n  tok.lan) echo '{"ServerURL":"tok.lan","Username":"<token>","Secret":"refresh-tok"}';;\n  *) echo "credentials not found in native keychain"; exit 1;;\nesac\n`,
    );
    await chmod(path.join(bin, 'docker-credential-fake'), 0o755);
    await writeFile(
      path.join(d, 'config.json'),
      JSON.stringify({ credHelpers: { 'helped.lan': 'fake' }, credsStore: 'fake', auths: { 'file.lan': { auth: b64('fu:fp-123') } } }),
    );
    const env = { DOCKER_CONFIG: d, HOME: d, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const r = createCredentialResolver({ env });
    expect(await r.get('helped.lan')).toEqual({ username: 'hu', password: 'helper-pass', source: 'docker-credential-fake' });
    expect(await r.get('tok.lan')).toEqual({ identityToken: 'refresh-tok', source: 'docker-credential-fake' });
    // the store has nothing for file.lan: the auths entry is used
    expect((await r.get('file.lan'))?.username).toBe('fu');
    expect(await r.get('unknown.lan')).toBeUndefined();

    await writeFile(path.join(d, 'config.json'), JSON.stringify({ credHelpers: { 'x.lan': 'absent' } }));
    await expect(createCredentialResolver({ env }).get('x.lan')).rejects.toBeInstanceOf(AuthError);
  });
});
