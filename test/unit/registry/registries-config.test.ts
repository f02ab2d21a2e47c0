import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, NotFoundError } from '../../../src/errors.js';
import { parseRegistriesConfig, readRegistriesConfig, registriesConfigPath } from '../../../src/registry/registries-config.js';

describe('per-registry settings (registries.yaml)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-regcfg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads CA files (relative to the file), insecure and plain-HTTP hosts', () => {
    const file = path.join(dir, 'registries.yaml');
    const s = parseRegistriesConfig(
      ['registries:', '  Mirror.Internal:5000:', '    caFile: certs/ca.pem', '  lab:5000:', '    insecureSkipTlsVerify: true', '    caFile: [/a.pem, /b.pem]', '  cache.local:', '    plainHttp: true', '    insecureSkipTlsVerify: false'].join('\n'),
      file,
    );
    expect(s.caFiles).toEqual({ 'mirror.internal:5000': [path.join(dir, 'certs/ca.pem')], 'lab:5000': ['/a.pem', '/b.pem'] });
    expect(s.insecureHosts).toEqual(['lab:5000']);
    expect(s.plainHttp).toEqual(['cache.local']);
    expect(parseRegistriesConfig('', file)).toEqual({ file, caFiles: {}, insecureHosts: [], plainHttp: [] });
  });

  it.each([
    ['mirrors: {}', 'mirrors: unknown field'],
    ['registries: [a]', 'registries: expected a map'],
    ['registries:\n  "not a host/x": {plainHttp: true}', 'registries.not a host/x: expected a registry host'],
    ['registries:\n  m:5000: {caFil: x}', 'registries.m:5000.caFil: unknown field'],
    ['registries:\n  m:5000: {plainHttp: "yes"}', 'registries.m:5000.plainHttp: expected true or false'],
    ['registries:\n  m:5000: {caFile: 3}', 'registries.m:5000.caFile: expected a PEM file path'],
    ['registries:\n  m:5000: true', 'registries.m:5000: expected a map'],
  ])('%j is an InputError naming the file and field', (text, msg) => {
    const file = path.join(dir, 'bad.yaml');
    let err: unknown;
    try {
      parseRegistriesConfig(text, file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain(msg);
  });

  it('AIRLIFT_REGISTRIES_CONFIG names the file (must exist); the default file may be absent', async () => {
    expect(registriesConfigPath({ XDG_CONFIG_HOME: '/x' })).toEqual({ file: '/x/airlift/registries.yaml', explicit: false });
    expect(registriesConfigPath({ HOME: '/h' })).toEqual({ file: '/h/.config/airlift/registries.yaml', explicit: false });
    expect(readRegistriesConfig({ XDG_CONFIG_HOME: dir })).toEqual({ caFiles: {}, insecureHosts: [], plainHttp: [] });
    expect(() => readRegistriesConfig({ AIRLIFT_REGISTRIES_CONFIG: path.join(dir, 'missing.yaml') })).toThrow(NotFoundError);
    await writeFile(path.join(dir, 'given.yaml'), 'registries:\n  r:5000: {plainHttp: true}\n');
    expect(readRegistriesConfig({ AIRLIFT_REGISTRIES_CONFIG: path.join(dir, 'given.yaml') }).plainHttp).toEqual(['r:5000']);
  });
});
