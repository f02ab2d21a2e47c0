import { describe, expect, it } from 'vitest';
import { parseRate, parseWindow } from '../../../src/cli/units.js';

describe('--min-rate and --min-rate-window', () => {
  it('reads rates with binary and decimal units, /s optional, 0 allowed', () => {
    expect(parseRate('0')).toBe(0);
    expect(parseRate('512')).toBe(512);
    expect(parseRate('1KiB')).toBe(1024);
    expect(parseRate('2MB/s')).toBe(2_000_000);
    expect(parseRate('1.5 mib')).toBe(1_572_864);
    expect(() => parseRate('fast')).toThrow(/bytes per second/);
    expect(() => parseRate('1 parsec')).toThrow(/bytes per second/);
  });
  it('reads durations in seconds by default, from 1 s to 24 h', () => {
    expect(parseWindow('120')).toBe(120_000);
    expect(parseWindow('90s')).toBe(90_000);
    expect(parseWindow('2m')).toBe(120_000);
    expect(parseWindow('1500ms')).toBe(1500);
    expect(() => parseWindow('500ms')).toThrow(/1s to 24h/);
    expect(() => parseWindow('soon')).toThrow(/duration/);
  });
});
