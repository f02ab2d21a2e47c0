/** An in-process HTTP server with a scripted handler, for fault cases a real registry cannot produce. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Scripted {
  host: string;
  url: string;
  close(): Promise<void>;
}

export async function startScripted(handler: http.RequestListener, address = '127.0.0.1'): Promise<Scripted> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: `${address}:${port}`,
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
