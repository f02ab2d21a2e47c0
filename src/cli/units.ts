/** Values of the global flags that take one: --min-rate, --min-rate-window, --concurrency, --plain-http. */
import { checkHost } from '../reference/validate.js';

const RATE_UNITS: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1000 ** 2, mib: 1024 ** 2, gb: 1000 ** 3, gib: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "1KiB", "512", "2.5MB/s", "0" → bytes per second; throws an Error saying what is expected. */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?$/i.exec(value.trim());
  const unit = m ? (m[2] ?? '').toLowerCase() || 'b' : '';
  const mult = RATE_UNITS[unit];
  if (!m || mult === undefined) throw new Error('expected bytes per second, e.g. 1KiB, 512, 2MB/s (0 turns the check off)');
  return Math.round(Number(m[1]) * mult);
}

/** "120", "90s", "2m", "1500ms" → milliseconds (at least one second); throws an Error saying what is expected. */
export function parseWindow(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const mult = m ? DURATION_UNITS[(m[2] ?? '').toLowerCase() || 's'] : undefined;
  const ms = m && mult !== undefined ? Number(m[1]) * mult : NaN;
  if (!(ms >= 1000) || ms > 24 * 3_600_000) throw new Error('expected a duration from 1s to 24h, e.g. 120, 90s, 2m');
  return Math.round(ms);
}

/** --concurrency: a whole number from 1 to 1024; throws an Error saying what is expected. */
export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error('expected a whole number from 1 to 1024');
  return n;
}

/**
 * --plain-http: a registry host, HOST[:PORT], as image references name it. A URL or a host with a
 * path never matched any registry, so the run went on over HTTPS and failed far from the flag.
 */
export function parsePlainHttpHost(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new Error(`"${value}" is a URL: give the registry host alone, e.g. --plain-http ${value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '') || 'registry.example.com:5000'}`);
  if (value.includes('/')) throw new Error(`"${value}" has a path: give the registry host alone (HOST[:PORT]), e.g. --plain-http ${value.replace(/\/.*$/, '')}`);
  const problem = checkHost(value);
  if (problem) throw new Error(value === '' ? 'expected a registry host, HOST[:PORT]' : problem);
  return value;
}
