/** Test helpers: packaged charts built in memory with tar-stream + gzip. */
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export async function makeTgz(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    const buf = typeof content === 'string' ? Buffer.from(content) : content;
    await new Promise<void>((resolve, reject) =>
      p.entry({ name, size: buf.length, mode: 0o644, mtime: new Date(0) }, buf, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}
