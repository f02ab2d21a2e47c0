/**
 * Text entries of a tar (index.json, manifest.json and the lock of a bundle) are written as UTF-8 a
 * piece at a time, never split inside a character: the archive holds exactly Buffer.from(text).
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TarFiles } from '../../../src/layout/tar-index.js';
import { writeTar } from '../../../src/layout/tar-writer.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('tar text entries', () => {
  it('are the UTF-8 bytes of the text, with characters across the pieces intact', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-tar-text-'));
    dirs.push(dir);
    // surrogate pairs and 3-byte characters at and around each 64 Ki boundary
    const big = `${'a'.repeat(64 * 1024 - 1)}😀${'é'.repeat(64 * 1024)}€😀${'x'.repeat(3)}`;
    const texts = { 'index.json': big, 'small.txt': 'héllo 😀\n', 'empty.txt': '' };
    const file = path.join(dir, 'a.tar');
    const fh = await open(file, 'w+');
    try {
      await writeTar(fh, Object.entries(texts).map(([name, text]) => ({ name, data: { text } })));
    } finally {
      await fh.close();
    }
    const tar = await TarFiles.open(file);
    try {
      for (const [name, text] of Object.entries(texts)) expect((await tar.read(name, 1 << 22)).equals(Buffer.from(text, 'utf8'))).toBe(true);
    } finally {
      await tar.close();
    }
  });

  it('made by a function are made when written, one at a time, with the same bytes and layout as given text', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-tar-text-'));
    dirs.push(dir);
    const texts = { 'index.json': `${'é'.repeat(70 * 1024)}😀`, 'dir/manifest.json': '[{"a":1}]\n', 'airlift.lock.json': 'x'.repeat(600) };
    const made: string[] = [];
    const write = async (file: string, lazy: boolean): Promise<Buffer> => {
      const fh = await open(file, 'w+');
      try {
        const inputs = Object.entries(texts).map(([name, text]) => ({
          name,
          data: lazy
            ? {
                text: (): string => {
                  made.push(name);
                  return text;
                },
              }
            : { text },
        }));
        await writeTar(fh, inputs);
      } finally {
        await fh.close();
      }
      return readFile(file);
    };
    const given = await write(path.join(dir, 'given.tar'), false);
    const lazy = await write(path.join(dir, 'lazy.tar'), true);
    expect(made).toEqual(Object.keys(texts));
    expect(lazy.equals(given)).toBe(true);
    const tar = await TarFiles.open(path.join(dir, 'lazy.tar'));
    try {
      for (const [name, text] of Object.entries(texts)) expect((await tar.read(name, 1 << 22)).equals(Buffer.from(text, 'utf8'))).toBe(true);
    } finally {
      await tar.close();
    }
  });
});
