/** `airlift serve`: a read-only registry over a bundle tar or a layout directory, on node:http. */
import { createServer, type Server } from 'node:http';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { NetworkError, NotFoundError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { DirFiles, type LayoutFiles } from '../layout/files.js';
import { LayoutReader } from '../layout/reader.js';
import { openArchiveFiles } from '../layout/source-tar.js';
import { partsManifestFor } from '../layout/parts.js';
import { openBundleArchive } from '../layout/docker-archive.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { addChartsToCatalog, readServedCharts, type ServedCharts } from './charts.js';
import { createHandler } from './handler.js';

export interface ServeOptions {
  /** A bundle tar or an OCI layout directory. */
  bundle: string;
  /** HOST:PORT to listen on (default 127.0.0.1:5000; port 0 picks a free port). */
  listen?: string;
  logger?: Logger;
}

export interface RunningServe {
  /** "HOST:PORT" actually bound. */
  address: string;
  url: string;
  catalog: Catalog;
  /** The bundle's charts, served at charts/<name>:<version>. */
  charts: ServedCharts;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(`invalid --listen ${JSON.stringify(listen)}`, { hint: 'use HOST:PORT, e.g. 127.0.0.1:5000 or [::1]:5000' });
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export async function openLayoutFiles(bundle: string): Promise<LayoutFiles> {
  let st;
  try {
    st = await stat(bundle);
  } catch {
    if (await partsManifestFor(bundle)) return openArchiveFiles(bundle);
    throw new NotFoundError(`${bundle} does not exist`, { hint: 'give a bundle written by airlift save, or an OCI layout directory' });
  }
  // a tar: a bundle (split or compressed too), or what docker save / podman save wrote
  return st.isDirectory() ? new DirFiles(bundle) : (await openBundleArchive(bundle)).files;
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:5000');
  const reader = await LayoutReader.open(await openLayoutFiles(opts.bundle));
  const catalog = buildCatalog(reader.entries());
  let charts: ServedCharts;
  try {
    charts = await readServedCharts(reader.files);
  } catch (err) {
    await reader.close();
    throw err;
  }
  addChartsToCatalog(catalog, charts);
  for (const s of catalog.skipped) opts.logger?.log('warn', `serve: not serving ${s}`);
  const handler = createHandler(reader, catalog, opts.logger, charts);
  const server: Server = createServer((req, res) => {
    void handler(req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.message;
      reject(new NetworkError(`cannot listen on ${host}:${port}: ${why}`, { cause: err, hint: 'choose another address with --listen HOST:PORT' }));
    });
    server.listen(port, host, () => resolve());
  }).catch(async (err: unknown) => {
    await reader.close();
    throw err;
  });
  const addr = server.address() as AddressInfo;
  const address = addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
  return {
    address,
    url: `http://${address}`,
    catalog,
    charts,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await reader.close();
    },
  };
}
