/**
 * Start-up is most of what a no-op sync costs: the modules a registry-to-registry run
 * does not need (the YAML parser, the chart scanner's tar reader, the spinner) must not
 * load with its command. Checked in a fresh process on the built CLI.
 */
import { isAscii } from 'node:buffer';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS_WITH_VALUE, asksVersion, commandNameOf } from '../../../src/cli/argv.js';
import { GLOBAL_OPTIONS } from '../../../src/cli/options.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The files of dist/ and node_modules/ loaded as ES modules (a loader hook logs each one) by `airlift ARGS`
 * (the bin, dist/cmd/airlift.js), or with `unbundled`, by main.ts's run(ARGS) from tsc's dist/ (the module
 * graph the bin's bundle is made from).
 */
function esModulesLoadedBy(args: string[], unbundled = false): string[] {
  // a synchronous write: on Node 24 a hook thread's process.stderr writes can be lost when the process exits
  const hook = `import { writeSync } from 'node:fs'; export async function load(url, context, next) { const r = await next(url, context); if (url.startsWith('file:')) writeSync(2, 'LOADED ' + url + '\\n'); return r; }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const runMain = `import { run } from './dist/cmd/main.js';
    process.exitCode = await run(${JSON.stringify(args)}, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), stdoutIsTTY: false, stderrIsTTY: false });`;
  const main = unbundled ? ['--input-type=module', '-e', runMain] : [path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.js'), ...args];
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, ...main], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`airlift ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => path.relative(REPO_ROOT, fileURLToPath(l.slice('LOADED '.length))));
}

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

  it('airlift --version loads no subcommand (it answers before one could run); --help loads them all', () => {
    const commands = (mods: string[]) => mods.filter((m) => m.startsWith('dist/cmd/commands/') && m !== 'dist/cmd/commands/index.js');
    const version = esModulesLoadedBy(['--version'], true);
    expect(version).toContain('dist/cmd/main.js'); // the hook sees the CLI's modules
    expect(commands(version)).toEqual([]);
    expect(commands(esModulesLoadedBy(['--concurrency', '4', '-V'], true))).toEqual([]);
    expect(commands(esModulesLoadedBy(['--help'], true)).length).toBeGreaterThanOrEqual(12);
  });

  it('the bin (dist/cmd/airlift.js, built by npm run build) loads one bundled file and no other module of dist/ or node_modules', () => {
    // loading ~120 ES modules one by one was a third of a no-op sync's start (scripts/build-entry.mjs);
    // the bin itself is a launcher that requires code-cache.cjs (cmd/code-cache.ts bundled as CommonJS) to
    // compile the bundle with V8's code cache; the bundle goes through vm.Script: neither is an ES module,
    // and the bundle's requires are of built-ins only (scripts/bundle-airlift.mjs fails on anything else)
    const bundled = ['dist/cmd/airlift.js'];
    expect(esModulesLoadedBy(['--version'])).toEqual(bundled);
    expect(esModulesLoadedBy(['images', 'fixtures/charts/example-shop', '-o', 'list'])).toEqual(bundled);
  });

  it('the bin package.json names is dist/cmd/airlift.cjs, a CommonJS launcher of the same bundle: node runs no ES module job (resolve, translators, module job) for it beyond what it runs for an empty CommonJS main', () => {
    // an ES module main (dist/cmd/airlift.js: the package is "type": "module") goes through node's ES module
    // loader (resolution, translators, a module job): 8-10 ms of CPU of a no-op sync's start on Node 20 (test/bench/README.md, p26-resync)
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ airlift: 'dist/cmd/airlift.cjs' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-startup-'));
    const hook = path.join(dir, 'builtins.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeSync(2, 'BUILTINS ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).join(',') + '\\n'));`);
    // an empty CommonJS main: what node itself loads for one (Node 24 loads the ES module loader's parts for every main)
    const empty = path.join(dir, 'empty.cjs');
    writeFileSync(empty, '');
    const esmJobOf = (bin: string) => {
      const main = bin === empty ? empty : path.join(REPO_ROOT, 'dist', 'cmd', bin);
      const r = spawnSync(process.execPath, ['-r', hook, main, '--version'], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(r.status).toBe(0);
      if (main !== empty) expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const line = r.stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
      expect(line).toBeDefined();
      const loaded = line!.slice('BUILTINS '.length).split(',');
      return ['resolve', 'translators', 'module_job'].filter((m) => loaded.includes(`NativeModule internal/modules/esm/${m}`));
    };
    try {
      expect(esmJobOf('airlift.js')).toEqual(['resolve', 'translators', 'module_job']); // what the test looks for is there
      expect(esmJobOf('airlift.cjs')).toEqual(esmJobOf(empty)); // no more than node loads for any CommonJS main: [] on Node 20 and 22
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bundle is ASCII (read as a one-byte string, not decoded from UTF-8), and a sync that reached the network loaded undici but not node:http2', () => {
    const bundle = readFileSync(path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.bundle.cjs'));
    expect(isAscii(bundle)).toBe(true);
    // port 1 on loopback: nothing listens, the first request (undici's Pool, its HTTP/1.1 client) is refused
    const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-startup-'));
    const hook = path.join(dir, 'builtins.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeSync(2, 'BUILTINS ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).join(',') + '\\n'));`);
    const r = spawnSync(process.execPath, ['-r', hook, path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.js'), '--plain-http', '127.0.0.1:1', 'sync', '--image', '127.0.0.1:1/a:1', '--to', '127.0.0.1:1/m', '--no-referrers'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toContain('ECONNREFUSED');
    const line = r.stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
    expect(line).toBeDefined();
    const builtins = line!.slice('BUILTINS '.length).split(',');
    expect(builtins).not.toContain('NativeModule http2');
  });
});

describe('reading argv before commander', () => {
  it('skips the value of every global option that takes one (GLOBAL_OPTIONS)', () => {
    const withValue = GLOBAL_OPTIONS.filter((o) => o.flags.includes('<')).map((o) => /--[\w-]+/.exec(o.flags)![0]);
    expect([...GLOBAL_OPTIONS_WITH_VALUE].sort()).toEqual(withValue.sort());
    expect(commandNameOf(['--min-rate', '100', '--min-rate-window', '5m', 'sync'])).toBe('sync');
  });

  it('asksVersion: the version flag among the global options, not an option value nor after "--"', () => {
    expect(asksVersion(['--version'])).toBe(true);
    expect(asksVersion(['--json', '-V'])).toBe(true);
    expect(asksVersion(['--plain-http', '--version'])).toBe(false); // a host named --version
    expect(asksVersion(['--plain-http', 'h', '--version'])).toBe(true);
    expect(asksVersion(['--', '--version'])).toBe(false);
    expect(asksVersion(['--version=1'])).toBe(false); // commander's error, with every command known
  });
});
