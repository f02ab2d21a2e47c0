/** The status line of a copy run, and cutting a line to a terminal's width. Pure. */
import { formatBytes, formatDuration } from './format.js';

export interface Status {
  verb: string;
  images: { done: number; total: number };
  charts: { done: number; total: number };
  /** Bytes streamed so far, and the bytes known to move (it grows as a registry destination learns them). */
  bytes: number;
  bytesTotal: number;
  elapsedMs: number;
}

/** `saving 3/10 images, 0/1 chart · 120.5 MiB / 1.2 GiB · 45.2 MiB/s · ETA 25.0 s` */
export function statusLine(s: Status): string {
  let counts = `${s.verb} ${s.images.done}/${s.images.total} image${s.images.total === 1 ? '' : 's'}`;
  if (s.charts.total > 0) counts += `, ${s.charts.done}/${s.charts.total} chart${s.charts.total === 1 ? '' : 's'}`;
  const parts = [counts, s.bytesTotal > 0 ? `${formatBytes(s.bytes)} / ${formatBytes(Math.max(s.bytes, s.bytesTotal))}` : formatBytes(s.bytes)];
  const rate = s.elapsedMs > 0 ? (s.bytes * 1000) / s.elapsedMs : 0;
  if (rate > 0) parts.push(`${formatBytes(Math.round(rate))}/s`);
  if (rate > 0 && s.bytesTotal > s.bytes) parts.push(`ETA ${formatDuration(((s.bytesTotal - s.bytes) * 1000) / rate)}`);
  return parts.join(' · ');
}

/**
 * `text` cut to at most `width` characters (code points; the line holds no wide characters), with
 * `…` where it was cut. A width below 1 gives the empty string: no computation divides by it.
 */
export function fitWidth(text: string, width: number): string {
  if (!Number.isFinite(width) || width < 1) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}
