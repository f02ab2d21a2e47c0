/**
 * `airlift copy SRC DST [--platform OS/ARCH[/VARIANT]]...`: one image between
 * `docker://REF`, `oci:DIR[:REF]` and `oci-archive:FILE[:REF]`, digests kept (src/mirror/copy.ts).
 * Prints the stored digest on stdout.
 */
import type { Command } from 'commander';
import { parsePlatform } from '../../src/copy/index.js';
import { parseEndpoint } from '../../src/endpoint/index.js';
import { UsageError } from '../../src/errors.js';
import { copy } from '../../src/mirror/copy.js';
import type { CommandContext } from '../context.js';
import { PLATFORM_OPTION } from '../../src/cli/options.js';
import { referrerOptions, referrersFrom, type ReferrersFlags } from '../../src/cli/referrers.js';
import { withMirrorDeps } from '../mirror.js';
import { addOptions } from '../options.js';
import { namesStdout, readerGone, watchStdoutReader } from '../stdout-reader.js';

export function registerCopy(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('copy')
    .description('copy one image between docker://REF, oci:DIR[:REF] and oci-archive:FILE[:REF], digests unchanged')
    .argument('<source>', 'docker://REGISTRY/REPO:TAG, oci:DIR[:REF], oci-archive:FILE[:REF] or docker-archive:FILE[:NAME] (docker save, podman save)')
    .argument('<destination>', 'docker://REGISTRY/REPO[:TAG], oci:DIR[:REF] or oci-archive:FILE[:REF]');
  addOptions(cmd, PLATFORM_OPTION, referrerOptions()).action(async (source: string, named: string, flags: { platform: string[] } & ReferrersFlags) => {
    const platforms = flags.platform.map(parsePlatform);
    parseEndpoint(source);
    let destination = named;
    let dstSpec = parseEndpoint(destination);
    // oci-archive:/dev/stdout (/dev/fd/1, /proc/self/fd/1) into a pipe or file is stdout: written as oci-archive:- is
    if (dstSpec.kind === 'oci-archive' && namesStdout(dstSpec.path!, ctx.io.stdout)) {
      destination = `oci-archive:-${dstSpec.ref === undefined ? '' : `:${dstSpec.ref}`}`;
      dstSpec = parseEndpoint(destination);
    }
    if (dstSpec.kind === 'oci-archive' && dstSpec.path === '-' && ctx.io.stdoutIsTTY) {
      throw new UsageError(`${destination} would write a tar archive to the terminal`, { hint: 'redirect it (> image.tar) or pipe it into another command' });
    }
    const referrers = referrersFrom(flags);
    // the archive goes to stdout once it is complete: a reader gone before that stops the run now
    const unwatch = dstSpec.kind === 'oci-archive' && dstSpec.path === '-' ? watchStdoutReader(ctx.io.stdout, () => readerGone(ctx.io.stdout)) : undefined;
    const report = await withMirrorDeps(ctx, (deps) => copy({ source, destination, platforms, ...(referrers ? { referrers } : {}) }, deps)).finally(() => unwatch?.());
    // an archive written to stdout (oci-archive:-) is the data there: the digest goes to stderr
    if (report.toStdout) ctx.logger().log('info', `wrote ${report.digest} to stdout`);
    else ctx.io.stdout.write(`${report.digest}\n`);
  });
}
