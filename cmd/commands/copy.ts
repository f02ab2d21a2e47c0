/**
 * `airlift copy SRC DST [--platform OS/ARCH[/VARIANT]]...`: one image between
 * `docker://REF`, `oci:DIR[:REF]` and `oci-archive:FILE[:REF]`, digests kept.
 * Prints the stored digest on stdout.
 */
import type { Command } from 'commander';
import { parsePlatform, type CopyJob } from '../../src/copy/index.js';
import { openEndpoint, parseEndpoint } from '../../src/endpoint/index.js';
import { parseReference } from '../../src/reference/index.js';
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
    const regs = endpointPool(ctx);
    try {
      if (dstSpec.kind === 'registry') regs.destination(parseReference(dstSpec.ref!).registry);
      const source = await openEndpoint(src, 'source', { registry: regs.factory });
      const dest = await openEndpoint(dst, 'destination', { registry: regs.factory });
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
        ctx.io.stdout.write(`${results[0]!.digest}\n`);
      } finally {
        await dest.destination.close();
        await source.source.close();
      }
    } finally {
      await regs.close();
    }
  });
}
