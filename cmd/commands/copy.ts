/**
 * `airlift copy SRC DST [--platform OS/ARCH[/VARIANT]]...`: one image between
 * `docker://REF`, `oci:DIR[:REF]` and `oci-archive:FILE[:REF]`, digests kept.
 * Prints the stored digest on stdout.
 */
import type { Command } from 'commander';
import { parsePlatform, type CopyJob } from '../../src/copy/index.js';
import { openEndpoint, parseEndpoint, type OpenedSource } from '../../src/endpoint/index.js';
import { parseReference } from '../../src/reference/index.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { entryName } from '../../src/layout/index-json.js';
import { LayoutSource } from '../../src/endpoint/oci-dir.js';
import type { CommandContext } from '../context.js';
import { endpointPool, platformOption, runJobs, throwIfFailed } from '../mirror.js';

export function registerCopy(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('copy')
    .description('copy one image between docker://REF, oci:DIR[:REF] and oci-archive:FILE[:REF], digests unchanged')
    .argument('<source>', 'docker://REGISTRY/REPO:TAG, oci:DIR[:REF] or oci-archive:FILE[:REF]')
    .argument('<destination>', 'docker://REGISTRY/REPO[:TAG], oci:DIR[:REF] or oci-archive:FILE[:REF]');
  platformOption(cmd).action(async (src: string, dst: string, flags: { platform: string[] }) => {
    const platforms = flags.platform.map(parsePlatform);
    const srcSpec = parseEndpoint(src);
    const dstSpec = parseEndpoint(dst);
    if (dstSpec.kind === 'oci-archive' && dstSpec.path === '-' && ctx.io.stdoutIsTTY) {
      throw new UsageError(`${dst} would write a tar archive to the terminal`, { hint: 'redirect it (> image.tar) or pipe it into another command' });
    }
    const regs = endpointPool(ctx);
    try {
      if (dstSpec.kind === 'registry') regs.destination(parseReference(dstSpec.ref!).registry);
      const source = await openEndpoint(src, 'source', { registry: regs.factory });
      await checkLayoutSource(src, source).catch(async (err: unknown) => {
        await source.source.close();
        throw err;
      });
      const dest = await openEndpoint(dst, 'destination', { registry: regs.factory, stdout: ctx.io.stdout });
      try {
        // A destination given without a name takes the source's: its full reference
        // (registry source) or its ref name (layout source).
        let repo = dest.repo;
        let tag = dest.tag;
        if (srcSpec.kind === 'registry') {
          const r = parseReference(srcSpec.ref!);
          if (dstSpec.kind === 'registry') tag ??= r.tag ?? r.digest;
          else if (dest.repo === '' && tag === undefined) {
            repo = `${r.registry}/${r.repository}`;
            tag = r.tag ?? r.digest;
          }
        } else if (tag === undefined && source.reference !== '') {
          if (dstSpec.kind !== 'registry' && dest.repo === '') repo = source.repo;
          tag = source.reference;
        }
        const job: CopyJob = {
          source: { store: source.source, repo: source.repo, reference: source.reference },
          dest: { store: dest.destination, repo, ...(tag !== undefined ? { tag } : {}) },
          name: src,
        };
        const results = await runJobs(ctx, [job], { verb: 'copying', platforms });
        throwIfFailed(results, 'copied');
        await dest.destination.commit();
        // an archive written to stdout (oci-archive:-) is the data there: the digest goes to stderr
        if (dstSpec.kind === 'oci-archive' && dstSpec.path === '-') ctx.logger().log('info', `wrote ${results[0]!.digest} to stdout`);
        else ctx.io.stdout.write(`${results[0]!.digest}\n`);
      } finally {
        await dest.destination.close();
        await source.source.close();
      }
    } finally {
      await regs.close();
    }
  });
}

/**
 * A layout or bundle source must name an image it holds (or hold exactly one): otherwise the
 * error lists the references it holds, so the next command can name one.
 */
async function checkLayoutSource(src: string, source: OpenedSource): Promise<void> {
  const store = source.source;
  if (!(store instanceof LayoutSource)) return;
  if (await store.resolveManifest(source.repo, source.reference)) return;
  const names = store.images().map(entryName);
  const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? `, … (${names.length} in all)` : '');
  if (source.reference === '') {
    if (names.length === 0) throw new NotFoundError(`${src} holds no named image`, { hint: 'check that it is the bundle or layout you meant' });
    throw new UsageError(`${src} holds ${names.length} images and the source names none of them`, {
      hint: `add the reference of one after the path: ${src}:${names[0]}; it holds: ${shown}`,
    });
  }
  throw store.reader.notFound(source.repo, source.reference);
}
