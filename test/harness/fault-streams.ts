/** Stream and socket helpers of the fault proxy: byte flips, cut bodies, listening, method matching. */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { FaultRule } from './fault-types.js';

/** Flips one byte at a given absolute offset of the stream. */
export class FlipByte extends Transform {
  private seen = 0;
  constructor(private readonly at: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const start = this.seen;
    this.seen += chunk.length;
    if (this.at >= start && this.at < this.seen) {
      const copy = Buffer.from(chunk);
      copy[this.at - start] = copy[this.at - start]! ^ 0xff;
      cb(null, copy);
      return;
    }
    cb(null, chunk);
  }
}

export function listen(server: http.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function methodMatches(m: FaultRule['method'], method: string): boolean {
  if (m === undefined) return true;
  return (Array.isArray(m) ? m : [m]).some((x) => x.toUpperCase() === method);
}

/**
 * Sends the answer's headers and its first `limit` body bytes, then resets
 * the connection (RST) or closes it cleanly (FIN) although the announced
 * length was not reached.
 */
export function cutBody(
  upRes: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  headers: http.OutgoingHttpHeaders,
  how: 'reset' | 'truncate',
  limit: number,
): void {
  res.writeHead(status, headers);
  res.flushHeaders();
  let sent = 0;
  let done = false;
  const cut = (): void => {
    if (done) return;
    done = true;
    upRes.destroy();
    const sock = res.socket;
    if (!sock) return;
    if (how === 'reset') sock.resetAndDestroy();
    else sock.end();
  };
  // The client is given a moment to read what was sent: an RST makes the
  // receiving kernel drop data the application has not read yet.
  const later = (): void => void setTimeout(cut, 50);
  if (limit === 0) {
    later();
    return;
  }
  upRes.on('data', (chunk: Buffer) => {
    if (done || sent >= limit) return;
    const room = limit - sent;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    sent += part.length;
    if (sent >= limit) res.write(part, later);
    else res.write(part);
  });
  upRes.on('end', () => {
    // A body shorter than the limit is delivered whole.
    if (!done && sent < limit) res.end();
  });
}
