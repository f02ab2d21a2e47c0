/**
 * `npm run example`: the main job end to end on the bundled example, fully offline.
 *
 * 1. generates the example chart's images (fixtures/images, preset tiny) and serves them from a
 *    source registry on 127.0.0.1 (plain HTTP), seeded with `airlift copy`;
 * 2. export: `airlift images`, `airlift save` to a bundle, `airlift verify`;
 * 3. import: a mirror registry on 127.0.0.1 with TLS (generated CA) and htpasswd auth,
 *    `airlift login`, `airlift load`, `airlift verify --to`;
 * 4. relocate: `airlift relocate` writes values overrides and a pull Secret, and scanning the chart
 *    again with the overrides lists only mirror references.
 * Every step runs the built CLI (dist/cmd/airlift.js) as a user would, and prints what it ran.
 *
 * The release tests run it with another airlift: AIRLIFT_EXAMPLE_CLI names it (a .js/.mjs file runs
 * under AIRLIFT_EXAMPLE_NODE, default this Node; anything else is executed itself). airlift then runs
 * in that file's directory with an empty NODE_PATH, no NODE_OPTIONS, and PATH set to
 * AIRLIFT_EXAMPLE_PATH when given. AIRLIFT_EXAMPLE_WORK moves the work directory (default .tmp/example).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateLayout } from '../fixtures/images/layout.js';
import { presetTiny } from '../fixtures/images/presets.js';
import { startRegistry, type StartedRegistry } from '../test/harness/registry.js';

const root = path.resolve(import.meta.dirname, '..');
const work = path.resolve(process.env.AIRLIFT_EXAMPLE_WORK || path.join(root, '.tmp', 'example'));
const cli = path.resolve(process.env.AIRLIFT_EXAMPLE_CLI || path.join(root, 'dist', 'cmd', 'airlift.js'));
const otherCli = Boolean(process.env.AIRLIFT_EXAMPLE_CLI);
const [command, ...commandArgs] = /\.m?js$/.test(cli) ? [process.env.AIRLIFT_EXAMPLE_NODE || process.execPath, cli] : [cli];

/** The environment airlift runs in: ours, or for another airlift a bare one (no module paths, PATH as asked). */
function cliEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!otherCli) return env;
  delete env.NODE_OPTIONS;
  env.NODE_PATH = '';
  if (process.env.AIRLIFT_EXAMPLE_PATH !== undefined) env.PATH = process.env.AIRLIFT_EXAMPLE_PATH;
  return env;
}
const chart = path.join(root, 'fixtures', 'charts', 'example-shop');

function airlift(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): string {
  const shown = args.map((a) => (a.startsWith(root) ? path.relative(root, a) || '.' : a)).join(' ');
  process.stderr.write(`\n$ airlift ${shown}\n`);
  const r = spawnSync(command!, [...commandArgs, ...args], {
    input: opts.input ?? '',
    env: cliEnv(opts.env),
    ...(otherCli ? { cwd: path.dirname(cli) } : {}),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stderr.write(r.stderr);
  process.stdout.write(r.stdout);
  if (r.error) throw new Error(`\`airlift ${shown}\` could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`\`airlift ${shown}\` exited with ${r.status ?? r.signal}`);
  return r.stdout;
}

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error(otherCli ? `AIRLIFT_EXAMPLE_CLI: ${cli} does not exist` : 'dist/ is missing: run `npm run build` first (npm run example does)');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const registries: StartedRegistry[] = [];
  try {
    // --- a source registry standing in for the public registries
    const layoutDir = path.join(work, 'images');
    const layout = await generateLayout(layoutDir, presetTiny());
    const source = await startRegistry({ mode: 'plain' });
    registries.push(source);
    process.stderr.write(`source registry: ${source.host} (plain HTTP), seeding ${layout.images.length} images\n`);
    for (const img of layout.images) {
      airlift(['--quiet', 'copy', `oci:${layoutDir}:${img.ref}`, `docker://${source.host}/${img.ref}`]);
    }

    // The user's values: point the chart's registry at the source (bitnami-style global, plus the
    // layouts a global does not reach).
    const values = path.join(work, 'my-values.yaml');
    writeFileSync(
      values,
      [
        'global:',
        `  imageRegistry: "${source.host}"`,
        `worker:`,
        `  image: ${source.host}/fixtures/beta:2.1`,
        'cache:',
        '  image:',
        `    repository: ${source.host}/fixtures/gamma`,
        '',
      ].join('\n'),
    );

    // --- 1. export on the connected host
    airlift(['images', chart, '-f', values, '-o', 'table']);
    const bundle = path.join(work, 'example-shop.tar');
    airlift(['save', chart, '-f', values, '-o', bundle]);
    airlift(['verify', bundle]);

    // --- 2. import inside the airgap: a TLS registry with its own CA and a password
    const mirror = await startRegistry({ mode: 'tls-basic' });
    registries.push(mirror);
    const env = { DOCKER_CONFIG: path.join(work, 'docker-config') };
    const tls = ['--ca-file', mirror.caFile!];
    const target = `${mirror.host}/airgap`;
    airlift([...tls, 'login', mirror.host, '-u', mirror.username!, '--password-stdin'], { input: mirror.password!, env });
    const landed = path.join(work, 'landed.lock.json');
    airlift([...tls, 'load', bundle, '--to', target, '--lock-out', landed], { env });
    airlift([...tls, 'verify', '--to', target, bundle], { env });

    // --- 3. relocate: overrides + pull Secret, then scan again with the overrides
    const overrides = path.join(work, 'overrides.yaml');
    const secret = path.join(work, 'mirror-pull-secret.yaml');
    airlift(
      [...tls, 'relocate', chart, '-f', values, '--to', target, '--lock', landed, '--digests', '--pull-secret', 'mirror-pull',
        '--secret-out', secret, '--username', mirror.username!, '--password-stdin', '-o', overrides],
      { input: mirror.password!, env },
    );
    process.stderr.write(`\n--- ${path.relative(root, overrides)}\n`);
    process.stdout.write(readFileSync(overrides, 'utf8'));
    const after = airlift(['images', chart, '-f', values, '-f', overrides, '-o', 'list']).split('\n').filter(Boolean);
    const outside = after.filter((r) => !r.startsWith(`${target}/`));
    if (after.length !== layout.images.length || outside.length > 0) {
      throw new Error(`after relocation expected ${layout.images.length} mirror references, got: ${after.join(', ')}`);
    }
    process.stderr.write(
      `\nexample done: ${after.length} images exported to ${path.relative(root, bundle)}, loaded into ${target}, ` +
        `and the chart relocated (${path.relative(root, overrides)}, ${path.relative(root, secret)}).\n` +
        `install with: helm install shop fixtures/charts/example-shop -f ${path.relative(root, values)} -f ${path.relative(root, overrides)}\n`,
    );
  } finally {
    for (const r of registries) await r.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`example failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
