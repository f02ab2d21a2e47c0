// Type-checks the tests, runs the whole suite with vitest, and closes with one
// plain line "tests: N passed, N failed" so that CI logs state the count.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';

const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.test.json'], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

mkdirSync('.tmp', { recursive: true });
const out = '.tmp/vitest-report.json';
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit' });
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  const passed = report.numPassedTests ?? 0;
  const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites && !report.numFailedTests ? report.numFailedTestSuites : 0);
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (passed === 0 && r.status === 0) {
    console.error('no test ran');
    process.exit(1);
  }
}
process.exit(r.status ?? 1);
