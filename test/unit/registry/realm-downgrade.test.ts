import { describe, expect, it } from 'vitest';
import { realmDowngrade } from '../../../src/registry/auth.js';

const u = (s: string): URL => new URL(s);

describe('token realm downgrade rule', () => {
  it('is a downgrade: https registry, plain-http realm on a name or a non-loopback address', () => {
    expect(realmDowngrade('https://reg.example:5000', u('http://auth.example/token'), [])).toBe(true);
    expect(realmDowngrade('https://reg.example:5000', u('http://localhost:9000/token'), [])).toBe(true);
    expect(realmDowngrade('https://127.0.0.1:5000', u('http://10.0.0.1/token'), [])).toBe(true);
  });
  it('is not: the realm host named with --plain-http (host or host:port), or a loopback IP address', () => {
    expect(realmDowngrade('https://reg.example', u('http://auth.example:8080/token'), ['auth.example:8080'])).toBe(false);
    expect(realmDowngrade('https://reg.example', u('http://AUTH.example/token'), ['auth.example'])).toBe(false);
    expect(realmDowngrade('https://reg.example', u('http://127.0.0.2:9000/token'), [])).toBe(false);
    expect(realmDowngrade('https://reg.example', u('http://[::1]:9000/token'), [])).toBe(false);
  });
  it('is not: an https realm, or a registry that is itself plain http', () => {
    expect(realmDowngrade('https://reg.example', u('https://auth.example/token'), [])).toBe(false);
    expect(realmDowngrade('http://reg.example', u('http://auth.example/token'), [])).toBe(false);
    expect(realmDowngrade(undefined, u('http://auth.example/token'), [])).toBe(false);
  });
});
