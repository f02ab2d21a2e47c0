/**
 * `airlift verify BUNDLE [-o table|json]`: re-hashes every blob of a bundle and
 * checks that every image's manifests, children, config and layers are there
 * with the right sizes (and the charts match the lock).
 * `airlift verify --to HOST[:PORT][/PREFIX] [--mapping MODE] BUNDLE`: checks that
 * the registry holds every image of the bundle with the same digest.
 * Exits non-zero, naming the bad blobs and images, when anything is wrong.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { bundleImages, bundleLock, openBundle } from '../../src/bundle/images.js';
import { checkError, verifyLayout } from '../../src/bundle/verify.js';
import { checkBundleFiles } from '../../src/bundle/self.js';
import { destinationTag } from '../../src/copy/inputs.js';
import { sha256 } from '../../src/digest/index.js';
import { AirliftError } from '../../src/errors.js';
import { mapReferences, parseMappingMode, parseTarget } from '../../src/mapping/index.js';
import { formatReference } from '../../src/reference/index.js';
import type { CommandContext } from '../context.js';
import { endpointPool } from '../mirror.js';

interface VerifyFlags {
  to?: string;
  mapping: string;
  output: 'table' | 'json';
}

interface Row {
  image: string;
  digest: string;
  status: string;
  destination?: string;
  problems?: string[];
}

function table(rows: Row[]): string {
  const w = Math.max(5, ...rows.map((r) => r.image.length));
  const sw = Math.max(6, ...rows.map((r) => r.status.length)) + 2;
  const lines = [`${'STATUS'.padEnd(sw)}${'IMAGE'.padEnd(w + 2)}DIGEST`];
  for (const r of rows) {
    lines.push(`${r.status.padEnd(sw)}${r.image.padEnd(w + 2)}${r.digest}`);
    for (const p of r.problems ?? []) lines.push(`${' '.repeat(sw)}${p}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description('check a bundle (every blob re-hashed, every reference present), or with --to that a registry holds its images')
    .argument('<bundle>', 'a bundle written by airlift save, or an OCI layout directory')
    .option('--to <HOST[:PORT][/PREFIX]>', 'check this registry instead of the bundle itself')
    .option('--mapping <mode>', 'the mapping the bundle was loaded with', 'default')
    .addOption(new Option('-o, --output <format>', 'report format on stdout').choices(['table', 'json']).default('table'))
    .action(async (bundleArg: string, flags: VerifyFlags) => {
      const source = await openBundle(path.resolve(ctx.io.cwd, bundleArg));
      const write = (rows: Row[]): void => {
        ctx.io.stdout.write(flags.output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
      };
      try {
        if (!flags.to) {
          const check = await verifyLayout(source.reader, ctx.globals().concurrency, ctx.io.signal);
          const rows: Row[] = check.images.map((i) => ({ image: i.image, digest: i.digest, status: i.status, ...(i.problems.length ? { problems: i.problems } : {}) }));
          const problems = check.images.flatMap((i) => i.problems.map((p) => `${i.image}: ${p}`));
          // damaged blobs no image refers to are still damage
          for (const [d, msg] of check.damaged) if (!problems.some((p) => p.includes(d))) problems.push(`blob ${d}: ${msg}`);
          const lock = await bundleLock(source, bundleArg);
          if (lock && 'readFile' in source) {
            for (const ch of lock.charts) {
              if (!ch.file || !ch.digest) continue;
              const got = sha256(await source.readFile(ch.file, 256 * 1024 * 1024).catch(() => Buffer.alloc(0)));
              if (got !== ch.digest) problems.push(`chart ${ch.file}: expected ${ch.digest}, got ${got}`);
            }
            // The other files the lock lists (airlift itself, from save --include-self), re-hashed.
            if (lock.files?.length) problems.push(...(await checkBundleFiles(lock.files, await source.extraFiles(), (f) => source.openFile(f), ctx.io.signal)));
          }
          write(rows);
          ctx.logger().log('info', `${bundleArg}: ${check.blobsChecked} blobs re-hashed, ${check.images.length} images checked${lock?.files?.length ? `, ${lock.files.length} other files` : ''}`);
          const bad = [...check.damaged.keys()].length > 0 || problems.some((p) => p.includes('damaged') || p.includes('expected'));
          const tooLarge = check.images.some((i) => i.tooLarge);
          const err = checkError(`${bundleArg} failed verification`, problems, bad ? 'E_DIGEST_MISMATCH' : tooLarge ? 'E_TOO_LARGE' : 'E_BUNDLE');
          if (err) throw err;
          return;
        }
        const target = parseTarget(flags.to);
        const images = bundleImages(source, bundleArg);
        const mapped = mapReferences(images.map((i) => i.ref), target, parseMappingMode(flags.mapping));
        const regs = endpointPool(ctx);
        try {
          const reg = regs.source(target.host);
          const rows: Row[] = [];
          for (const img of images) {
            const d = mapped.get(img.formatted)!;
            const there = await reg.resolveManifest(d.repository, destinationTag(d));
            const status = !there ? 'missing' : there.digest === img.descriptor.digest ? 'ok' : 'different';
            rows.push({
              image: img.formatted,
              digest: img.descriptor.digest,
              status,
              destination: formatReference(d),
              ...(status === 'ok'
                ? {}
                : { problems: [status === 'missing' ? `${formatReference(d)} is missing` : `${formatReference(d)} holds ${there!.digest}, the bundle has ${img.descriptor.digest}`] }),
            });
          }
          write(rows);
          const problems = rows.flatMap((r) => (r.problems ?? []).map((p) => `${r.image}: ${p}`));
          if (problems.length) {
            // The registry is what differs here, not the bundle: say so, and how to fix it.
            const different = rows.some((r) => r.status === 'different');
            const shown = problems.slice(0, 10).map((p) => `  ${p}`);
            if (problems.length > 10) shown.push(`  … and ${problems.length - 10} more`);
            throw new AirliftError(different ? 'E_DIGEST_MISMATCH' : 'E_NOT_FOUND', `${target.host} does not hold every image of ${bundleArg}: ${problems.length} problem(s):\n${shown.join('\n')}`, {
              hint: different
                ? `a tag at ${flags.to} holds other content than the bundle (pushed from elsewhere, or loaded from a bundle saved with other --platform choices); run airlift load ${bundleArg} --to ${flags.to} again to put the bundle's digests back, then verify again`
                : `load the bundle: airlift load ${bundleArg} --to ${flags.to}${flags.mapping !== 'default' ? ` --mapping ${flags.mapping}` : ''} (and check that --to and --mapping match the load)`,
            });
          }
        } finally {
          await regs.close();
        }
      } finally {
        await source.close();
      }
    });
}
