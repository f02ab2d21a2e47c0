import { describe, expect, it } from 'vitest';
import { pickStorage, TMPFS_NEEDED_BYTES, type Probe } from '../../bench/storage.js';

const TMPFS = 0x01021994;
const EXT4 = 0xef53;
const shm = (freeBytes: number): Probe => ({ dir: '/dev/shm', type: TMPFS, freeBytes });
const temp: Probe = { dir: '/tmp', type: EXT4, freeBytes: 50 * 1024 ** 3 };

describe('bench registry storage', () => {
  it('auto takes a tmpfs with room', () => {
    expect(pickStorage('auto', [shm(TMPFS_NEEDED_BYTES)], temp)).toMatchObject({ kind: 'tmpfs', dir: '/dev/shm' });
  });

  it('auto falls back to the temp directory when the tmpfs is small or missing, and says why', () => {
    const small = pickStorage('auto', [shm(64 * 1024 ** 2)], temp);
    expect(small).toMatchObject({ kind: 'disk', dir: '/tmp' });
    expect(small.why).toMatch(/\/dev\/shm has 0\.1 GiB free/);
    const none = pickStorage('auto', [undefined], temp);
    expect(none).toMatchObject({ kind: 'disk', dir: '/tmp' });
    expect(none.why).toMatch(/no tmpfs/);
    // /dev/shm that is not a tmpfs is not taken for one
    expect(pickStorage('auto', [{ ...shm(TMPFS_NEEDED_BYTES), type: EXT4 }], temp).dir).toBe('/tmp');
  });

  it('tmpfs insists and names the fix', () => {
    expect(() => pickStorage('tmpfs', [shm(1024)], temp)).toThrow(/--storage tmpfs: \/dev\/shm has 0\.0 GiB free.*use --storage disk/);
  });

  it('disk takes the temp directory and reports what it really is', () => {
    expect(pickStorage('disk', [shm(TMPFS_NEEDED_BYTES)], temp)).toMatchObject({ kind: 'disk', dir: '/tmp' });
    expect(pickStorage('disk', [], { ...temp, type: TMPFS }).kind).toBe('tmpfs');
  });
});
