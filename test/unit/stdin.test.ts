import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InterruptedError, TooLargeError, redact } from '../../src/errors.js';
import { readPassword, readText } from '../../src/stdin.js';

const tooLarge = () => new TooLargeError('too much on stdin');

describe('readText', () => {
  it('reads everything up to EOF, across chunks and multi-byte characters', async () => {
    const bytes = Buffer.from('héllo\nworld\n');
    const text = await readText(Readable.from([bytes.subarray(0, 2), bytes.subarray(2)]), { max: 100, tooLarge });
    expect(text).toBe('héllo\nworld\n');
  });

  it('fails with the given error past the limit', async () => {
    await expect(readText(Readable.from([Buffer.alloc(6), Buffer.alloc(6)]), { max: 10, tooLarge })).rejects.toThrow(TooLargeError);
  });

  it('stops with the signal reason while it waits, and refuses to start when already aborted', async () => {
    const c = new AbortController();
    const stdin = new PassThrough();
    const p = readText(stdin, { max: 100, tooLarge, signal: c.signal });
    stdin.write('partial');
    c.abort(new InterruptedError('SIGINT'));
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    await expect(readText(new PassThrough(), { max: 100, tooLarge, signal: c.signal })).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('readPassword', () => {
  it('drops one trailing newline and registers the password for redaction', async () => {
    const pw = await readPassword(Readable.from(['s3cret-from-stdin\n']), { hint: 'h' });
    expect(pw).toBe('s3cret-from-stdin');
    expect(redact('token s3cret-from-stdin here')).not.toContain('s3cret-from-stdin');
  });

  it('refuses an empty stdin with the caller hint, and more than 64 KiB', async () => {
    await expect(readPassword(Readable.from(['\n']), { hint: 'pipe it in' })).rejects.toMatchObject({ code: 'E_USAGE', hint: 'pipe it in' });
    await expect(readPassword(Readable.from([Buffer.alloc(65 * 1024, 0x61)]), { hint: 'h' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
