/** Human formatting of sizes, rates and durations for progress lines. Pure. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '-';
  return `${formatBytes(Math.round((bytes * 1000) / ms))}/s`;
}

export function formatDuration(ms: number): string {
  // Round once, at the precision shown, then split: 59.96 s is "1 min 0 s", never "60.0 s" or "0 min 60 s".
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function shortDigest(d: string | undefined): string {
  if (!d) return '';
  const i = d.indexOf(':');
  return i < 0 ? d.slice(0, 19) : `${d.slice(0, i + 1)}${d.slice(i + 1, i + 13)}`;
}
