/**
 * PumpedBody, the one stream between a registry source's pump and the destination's upload: it
 * hashes and counts every chunk, keeps the last one back until the whole body has been checked,
 * errors instead of ending on wrong bytes, pauses its pump while the reader has no room, and
 * refuses chunks once the reader has gone.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PumpedBody } from '../../../src/copy/pumped.js';
import { verifiesOnWrite } from '../../../src/digest/index.js';
import type { Descriptor } from '../../../src/oci/types.js';

const KiB = 1024;

function blob(n: number, fill = 7): { bytes: Buffer; desc: Descriptor } {
  const bytes = Buffer.alloc(n, fill);
  return { bytes, desc: { mediaType: 'application/octet-stream', digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: n } };
}

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** What a reader gets: the chunks read so far, and whether the body ended or errored. */
function reader(body: PumpedBody): { got: Buffer[]; ended: Promise<'end' | Error> } {
  const got: Buffer[] = [];
  body.on('data', (c: Buffer) => got.push(c));
  const ended = new Promise<'end' | Error>((resolve) => {
    body.once('end', () => resolve('end'));
    body.once('error', (e) => resolve(e));
  });
  return { got, ended };
}

describe('PumpedBody', () => {
  it('passes every byte once, counted, and sends the last chunk only after the check', async () => {
    const { bytes, desc } = blob(200 * KiB);
    let counted = 0;
    const body = new PumpedBody('test blob', desc, (n) => (counted += n), false);
    expect(verifiesOnWrite(body, desc)).toBe(true);
    expect(body.holdsLast).toBe(true);
    const r = reader(body);
    for (const c of chunks(bytes, 64 * KiB)) await body.feed(c);
    await new Promise((res) => setImmediate(res));
    // 4 chunks fed, 3 out: the last waits for the verdict
    expect(r.got.length).toBe(3);
    expect(body.verified).toBe(false);
    body.finish();
    expect(await r.ended).toBe('end');
    expect(body.verified).toBe(true);
    expect(Buffer.concat(r.got).equals(bytes)).toBe(true);
    expect(counted).toBe(bytes.length);
  });

  it('wrong bytes: finish() throws a digest mismatch and the last chunk never leaves', async () => {
    const { desc } = blob(130 * KiB);
    const other = Buffer.alloc(130 * KiB, 8);
    const body = new PumpedBody('test blob', desc, () => undefined, false);
    const r = reader(body);
    for (const c of chunks(other, 64 * KiB)) await body.feed(c);
    expect(() => body.finish()).toThrow(/expected sha256:/);
    body.destroy(new Error('the pump failed'));
    const end = await r.ended;
    expect(end).toBeInstanceOf(Error);
    expect(Buffer.concat(r.got).length).toBe(128 * KiB);
    expect(body.verified).toBe(false);
  });

  it('more bytes than the descriptor: feed() throws before they are counted or sent', async () => {
    const { bytes, desc } = blob(64 * KiB);
    let counted = 0;
    const body = new PumpedBody('test blob', desc, (n) => (counted += n), false);
    await body.feed(bytes);
    expect(() => body.feed(Buffer.alloc(1))).toThrow();
    expect(counted).toBe(64 * KiB);
  });

  it('size only (a destination that hashes): declares no verification, still checks the size', async () => {
    const { bytes, desc } = blob(64 * KiB);
    const body = new PumpedBody('test blob', desc, () => undefined, true);
    expect(verifiesOnWrite(body, desc)).toBe(false);
    await body.feed(bytes.subarray(0, 1000));
    expect(() => body.finish()).toThrow(/size/i);
  });

  it('pauses the pump while the reader has no room, resumes it when read, and refuses chunks once destroyed', async () => {
    const { bytes, desc } = blob(4 * 1024 * KiB);
    const body = new PumpedBody('test blob', desc, () => undefined, false);
    const parts = chunks(bytes, 64 * KiB);
    let i = 0;
    let waiting: Promise<void> | undefined;
    // nobody reads: the body fills to its 1 MiB mark, then feed() answers with a promise
    while (i < parts.length && !(waiting = body.feed(parts[i++]!))) waiting = undefined;
    expect(waiting).toBeInstanceOf(Promise);
    expect(i).toBeLessThan(parts.length);
    let resumed = false;
    void waiting!.then(() => (resumed = true));
    await new Promise((res) => setImmediate(res));
    expect(resumed).toBe(false);
    body.read();
    await new Promise((res) => setImmediate(res));
    expect(resumed).toBe(true);
    // the reader goes: a pump waiting for room is let go, and its next chunk is refused
    const again = body.feed(parts[i++]!) ?? Promise.resolve();
    body.on('error', () => undefined);
    body.destroy(new Error('upload failed'));
    await again;
    expect(() => body.feed(parts[i]!)).toThrow(/upload failed/);
  });
});
