import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/progress/format.js';

describe('formatDuration', () => {
  it('never prints 60 seconds: durations are rounded once, then split into minutes and seconds', () => {
    expect(formatDuration(14 * 60_000 + 59_600)).toBe('15 min 0 s');
    expect(formatDuration(14 * 60_000 + 59_400)).toBe('14 min 59 s');
    expect(formatDuration(59_960)).toBe('1 min 0 s');
    expect(formatDuration(59_940)).toBe('59.9 s');
    expect(formatDuration(999.6)).toBe('1.0 s');
    expect(formatDuration(999.4)).toBe('999 ms');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
    const wrong: string[] = [];
    for (let ms = 0; ms < 3 * 3_600_000; ms += 499) {
      const text = formatDuration(ms);
      const m = /^(\d+) min (\d+) s$/.exec(text);
      if ((m && Number(m[2]) >= 60) || /^60\.0 s$|^1000 ms$/.test(text)) wrong.push(`${ms} ms: ${text}`);
    }
    expect(wrong).toEqual([]);
  });
});
