/**
 * entryHeader (src/layout/tar-writer.ts) builds a header from a per-type template and adds only the
 * name's and size's bytes to the checksum: the blocks are the same as a header written field by
 * field and summed whole (the reference below), for files, directories, executables, names up to and
 * over 100 bytes (multi-byte characters cut at the field's end, pax records) and sizes over 8 GiB.
 */
import { describe, expect, it } from 'vitest';
import { entryHeader } from '../../../src/layout/tar-writer.js';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;
const octal = (v: number, width: number): string => v.toString(8).padStart(width - 1, '0') + '\0';

function referenceHeader(name: string, size: number, type: string, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size > MAX_OCTAL_SIZE ? 0 : size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function referenceEntry(name: string, size: number, type: '0' | '5', executable = false): Buffer {
  const mode = type === '5' || executable ? 0o755 : 0o644;
  const full = type === '5' ? `${name}/` : name;
  const records: string[] = [];
  if (Buffer.byteLength(full) > 100) records.push(paxRecord('path', full));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const main = referenceHeader(Buffer.byteLength(full) > 100 ? full.slice(0, 99) : full, size, type, mode);
  if (!records.length) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  const pad = Buffer.alloc((BLOCK - (pax.length % BLOCK)) % BLOCK);
  return Buffer.concat([referenceHeader('PaxHeaders/entry', pax.length, 'x', 0o644), pax, pad, main]);
}

describe('entryHeader', () => {
  it('gives the blocks of a header written field by field', () => {
    const hex = 'ab'.repeat(32);
    const names = ['oci-layout', 'index.json', 'blobs', 'blobs/sha256', `blobs/sha256/${hex}`, 'charts/app-1.0.0.tgz', 'airlift/airlift-linux-x64', 'é'.repeat(49) + 'x', 'é'.repeat(50), 'ü'.repeat(51), 'a'.repeat(99), 'a'.repeat(100), 'a'.repeat(101), `${'dir/'.repeat(30)}file`];
    const sizes = [0, 1, 511, 512, 2048, 16384, 1024 * 1024 + 3, MAX_OCTAL_SIZE, MAX_OCTAL_SIZE + 1, 20 * 1024 ** 3];
    let n = 0;
    for (const name of names) {
      for (const size of sizes) {
        expect(entryHeader(name, size, '0')).toEqual(referenceEntry(name, size, '0'));
        expect(entryHeader(name, size, '0', true)).toEqual(referenceEntry(name, size, '0', true));
        n += 2;
      }
      expect(entryHeader(name, 0, '5')).toEqual(referenceEntry(name, 0, '5'));
      n++;
    }
    expect(n).toBe(names.length * (sizes.length * 2 + 1));
  });
});
