// Type-checks the tests, runs the whole suite with vitest on this Node (20), then the unit tests
// and the example on Node 22 and 24 (pinned binaries from the npm registry, cached in
// ~/.cache/airlift/node: scripts/node-bin.mjs), and closes with one plain line
// "tests: N passed, N failed" over every run so that CI logs state the count.
// Arguments (test paths, vitest options) go to the main run; with any, the Node 22/24 runs are
// left out (said on stderr). AIRLIFT_TEST_NODES=22,24 (the default) chooses them; empty: none.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { NODE_22, NODE_24, nodeBinary } from './node-bin.mjs';

const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.test.json'], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

mkdirSync('.tmp', { recursive: true });
const vitest = path.join('node_modules', 'vitest', 'vitest.mjs');

/** One vitest run on `node`; its counts from the JSON report. */
function runVitest(node, label, args) {
  const out = `.tmp/vitest-report-${label}.json`;
  rmSync(out, { force: true });
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` };
  const r = spawnSync(node, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...args], { stdio: 'inherit', env });
  const counts = { passed: 0, failed: 0, skipped: 0, ok: r.status === 0 };
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    counts.passed = report.numPassedTests ?? 0;
    counts.failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites && !report.numFailedTests ? report.numFailedTestSuites : 0);
    counts.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  } else if (r.status === 0) {
    counts.ok = false;
  }
  if (counts.passed === 0 && r.status === 0) {
    console.error(`${label}: no test ran`);
    counts.ok = false;
  }
  return counts;
}

const started = Date.now();
const runs = [['node ' + process.versions.node, runVitest(process.execPath, 'main', process.argv.slice(2)), Date.now() - started]];

const wanted = (process.env.AIRLIFT_TEST_NODES ?? '22,24').split(',').map((s) => s.trim()).filter(Boolean);
const versions = { 22: NODE_22, 24: NODE_24 };
if (process.argv.length > 2 && wanted.length) {
  console.error(`node ${wanted.join(', ')}: not run (test arguments were given; \`npm test\` alone runs them)`);
} else {
  if (!wanted.length) console.error('node 22, 24: not run (AIRLIFT_TEST_NODES is empty)');
  for (const major of wanted) {
    const version = versions[major];
    if (!version) throw new Error(`AIRLIFT_TEST_NODES: no pinned Node ${major} (known: ${Object.keys(versions).join(', ')})`);
    const t = Date.now();
    let node;
    try {
      node = nodeBinary(version);
    } catch (err) {
      console.error(`node ${version}: ${err.message}`);
      runs.push([`node ${version}`, { passed: 0, failed: 1, skipped: 0, ok: false }, Date.now() - t]);
      continue;
    }
    console.error(`\n== unit tests and the example on node ${version}`);
    runs.push([`node ${version}`, runVitest(node, `node${major}`, ['test/unit', 'test/integration/example']), Date.now() - t]);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [label, c, ms] of runs) {
  console.error(`${label}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''} (${Math.round(ms / 1000)} s)`);
  passed += c.passed;
  failed += c.failed;
  skipped += c.skipped;
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(runs.every(([, c]) => c.ok) ? 0 : 1);
