import { describe, expect, it } from 'vitest';
import { judge, mergeRuns, newRow, type Row } from '../../bench/context.js';
import { presetScale } from '../../bench/data.js';
import { formatTable } from '../../bench/table.js';

const side = (seconds: number, peakRssMiB = 100) => ({ seconds, peakRssMiB });

function row(airlift: number, peers: Record<string, number>, floor?: number): Row {
  const r = newRow('sync-big', 'sync big', 'target');
  r.airlift = side(airlift);
  for (const [k, v] of Object.entries(peers)) r.peers[k] = side(v, 20);
  if (floor !== undefined) r.floor = { ...side(floor, 0), what: 'curl' };
  return r;
}

describe('bench judging', () => {
  it('passes only when airlift beats every peer that ran, stays within the floor limit and the RSS limit', () => {
    const ok = row(2, { skopeo: 3, crane: 2.5 }, 2.1);
    judge(ok, { beatPeers: true, floorLimit: 1.0, rssLimitMiB: 200 });
    expect(ok.pass).toBe(true);

    const slower = row(2, { skopeo: 3, regsync: 1.5 }, 2.1);
    judge(slower, { beatPeers: true, floorLimit: 1.0 });
    expect(slower.pass).toBe(false);
    expect(slower.notes.join()).toMatch(/regsync faster \(1\.50 s ≤ 2\.00 s\)/);

    const overFloor = row(2, {}, 1.5);
    judge(overFloor, { floorLimit: 1.3 });
    expect(overFloor.pass).toBe(false);
    expect(overFloor.notes.join()).toMatch(/1\.33× the floor > 1\.3×/);

    const fat = row(1, {});
    fat.airlift = side(1, 250);
    judge(fat, { rssLimitMiB: 200 });
    expect(fat.pass).toBe(false);
  });

  it('a peer that did not run is named, not counted as beaten', () => {
    const r = row(2, { skopeo: 3 });
    r.absent.regsync = 'regsync copies registry to registry only';
    judge(r, { beatPeers: true });
    expect(r.pass).toBe(true);
    const table = formatTable([r], ['skopeo', 'regsync']);
    expect(table).toMatch(/3\.00 \(1\.50×\)/);
    expect(table).toMatch(/\| n\/a /);
    expect(table).toMatch(/regsync n\/a: regsync copies registry to registry only/);
  });

  it('repeated runs merge to medians per side and are judged again', () => {
    const runs = [row(2, { crane: 1.9 }, 2), row(3, { crane: 3.5 }, 2), row(2.2, { crane: 2.5 }, 2)];
    for (const r of runs) judge(r, { beatPeers: true, floorLimit: 1.2 });
    const [m] = mergeRuns(runs.map((r) => [r]));
    expect(m!.airlift!.seconds).toBe(2.2);
    expect(m!.peers.crane!.seconds).toBe(2.5);
    expect(m!.runs).toMatchObject({ airlift: [2, 3, 2.2], crane: [1.9, 3.5, 2.5], floor: [2, 2, 2] });
    expect(m!.pass).toBe(true);
  });
});

describe('bench scale set', () => {
  it('a time limit is judged again on the median of repeated runs; a row with no target keeps none, a row judged by its case keeps a miss', () => {
    const timed = (s: number): Row => {
      const r = newRow('images-200', 'images on 200 charts', '< 2 s');
      r.airlift = side(s);
      judge(r, { rssLimitMiB: 200, secondsLimit: 2 });
      return r;
    };
    expect(timed(1.9).pass).toBe(true);
    expect(timed(2.4).notes.join()).toMatch(/2\.40 s ≥ 2 s/);
    const [merged] = mergeRuns([[timed(1.5)], [timed(2.4)], [timed(2.5)]]);
    expect(merged!.pass).toBe(false);
    expect(merged!.notes.join()).toMatch(/2\.40 s ≥ 2 s/);

    const untargeted = (): Row => {
      const r = newRow('images-distinct-10', 'images on the 10 distinct charts', 'none');
      r.airlift = side(1);
      return r;
    };
    expect(mergeRuns([[untargeted()], [untargeted()]])[0]!.pass).toBeUndefined();
    const byCase = (pass: boolean): Row => ({ ...untargeted(), pass });
    expect(mergeRuns([[byCase(true)], [byCase(false)]])[0]!.pass).toBe(false);
    expect(mergeRuns([[byCase(true)], [byCase(true)]])[0]!.pass).toBe(true);
  });

  it('has small images on shared bases, some Docker, a few multi-platform, and the 200 set is the start of the 2,000 set', () => {
    const big = presetScale(2000);
    const small = presetScale(200);
    expect(big).toHaveLength(2000);
    expect(big.slice(0, 200)).toEqual(small);
    expect(new Set(big.map((s) => s.layers[0]!.id)).size).toBe(20);
    expect(big.filter((s) => s.platforms).length).toBe(20);
    expect(big.filter((s) => s.format === 'docker').length).toBe(400);
  });
});
