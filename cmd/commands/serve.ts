/**
 * `airlift serve BUNDLE.tar|DIR [--listen 127.0.0.1:5000]`: a read-only
 * registry straight from a bundle. Prints the bound address on stdout when
 * ready and runs until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { startServe } from '../../src/serve/server.js';
import type { CommandContext } from '../context.js';

export function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description(
      'serve a bundle (or OCI layout directory) as a read-only registry: /v2/ pull API, tags list, catalog. ' +
        'Images are served without their registry host (docker.io/library/nginx:1.25 as library/nginx:1.25) and with it (docker.io/library/nginx:1.25); ' +
        'the bundle charts as OCI Helm charts at charts/<name>:<version> (helm pull oci://HOST:PORT/charts/NAME --version V --plain-http)',
    )
    .argument('<bundle>', 'bundle tar written by airlift save, or an OCI layout directory')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free port)', '127.0.0.1:5000')
    .action(async (bundle: string, flags: { listen: string }) => {
      const logger = ctx.logger();
      const server = await startServe({ bundle, listen: flags.listen, logger });
      const repos = [...server.catalog.repositories.values()];
      const charts = server.charts.charts.length;
      logger.log('info', `serving ${repos.length} repositories${charts ? ` (${charts} chart${charts === 1 ? '' : 's'} under charts/)` : ''} from ${bundle} on ${server.url} (read-only; Ctrl-C stops)`);
      logger.event('serve.ready', { address: server.address, repositories: repos.map((r) => r.name), charts: server.charts.charts.map((c) => `${c.repo}:${c.tag}`) });
      ctx.io.stdout.write(`${server.address}\n`);
      // until SIGINT or SIGTERM, or the run is stopped otherwise (stdout's reader gone before the address was written)
      const signal = ctx.io.signal;
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          signal?.removeEventListener('abort', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        if (signal?.aborted) stop();
        else signal?.addEventListener('abort', stop);
      });
      await server.close();
      logger.log('info', 'serve: stopped');
    });
}
