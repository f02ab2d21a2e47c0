/**
 * Start-up is most of what a no-op sync costs: the modules a registry-to-registry run
 * does not need (the YAML parser, the chart scanner's tar reader, the spinner) must not
 * load with its command. Checked in a fresh process on the built CLI.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function packagesLoadedBy(modules: string[]): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    for (const m of ${JSON.stringify(modules)}) await import(m);
    const names = Object.keys(require.cache).map((k) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k)?.[1]).filter(Boolean);
    console.log(JSON.stringify([...new Set(names)].sort()));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe('what a command loads at start', () => {
  it('sync and copy load neither yaml, tar-stream nor ora', () => {
    const loaded = packagesLoadedBy(['./dist/cmd/main.js', './dist/cmd/commands/sync.js', './dist/cmd/commands/copy.js']);
    expect(loaded).toContain('commander'); // the check sees CommonJS packages (undici loads on the first request)
    expect(loaded.filter((p) => ['yaml', 'tar-stream', 'ora'].includes(p))).toEqual([]);
  });

  it('the chart scanner and its report, loaded when a chart is given, bring tar-stream and yaml', () => {
    const loaded = packagesLoadedBy(['./dist/src/chart/index.js', './dist/src/chart/report.js']);
    expect(loaded).toEqual(expect.arrayContaining(['yaml', 'tar-stream']));
  });
});
