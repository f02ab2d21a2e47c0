/**
 * The registry implementation of the endpoint contract, over RegistryClient.
 * A mount the registry declines opens an upload session; the next putBlob of
 * that blob into that repository uploads into it instead of opening another.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, RawManifest } from '../oci/types.js';
import { referrerDescriptor, subjectOf } from '../oci/referrers.js';
import type { RegistryClient } from '../registry/client.js';
import type { UploadSession } from '../registry/upload.js';
import type { ImageDestination, ImageSource, SettleLoss } from './types.js';

export interface RegistryEndpointOptions {
  /**
   * A destination: ask for push,pull tokens for every call, also reads, so that a
   * destination needs one token per repository instead of two; and say whether a
   * repository exists (one tag-list request), so that no blob HEAD is sent into a
   * repository that is new.
   */
  push?: boolean;
}

export type RegistryEndpoint = ImageSource & ImageDestination;

export function createRegistryEndpoint(host: string, client: RegistryClient, opts: RegistryEndpointOptions = {}): RegistryEndpoint {
  const push = Boolean(opts.push);
  // whether the host has the referrers API: the first probe decides (others wait for it), and a
  // host found without it is not asked again (the fallback tag, from the tag list, is read instead)
  let referrersApi: Promise<boolean> | undefined;
  // writers of one subject's fallback index, one after another within this run
  const fallbackWriters = new Map<string, Promise<unknown>>();
  // what this run merged into fallback indexes (or found listed), re-checked by settle() at the end of the run
  const fallbackWrites = new Map<string, { repo: string; subject: string; entries: Map<string, Descriptor> }>();
  let lastFallbackWrite = 0;
  const declined = new Map<string, UploadSession>();
  const key = (repo: string, digest: string): string => `${repo}@${digest}`;
  const keepSession = async (repo: string, digest: string, session: UploadSession): Promise<void> => {
    const k = key(repo, digest);
    const previous = declined.get(k);
    declined.set(k, session);
    if (previous) await client.cancelUpload(previous);
  };
  const upload = async (repo: string, desc: Descriptor, body: Readable | Buffer, signal?: AbortSignal): Promise<void> => {
    const k = key(repo, desc.digest);
    const session = declined.get(k);
    declined.delete(k);
    // bytes in memory come verified (ImageDestination.putBlobBytes); a stream is verified on its way
    await client.putBlob(host, repo, desc, body, { signal, ...(session ? { session } : {}), ...(Buffer.isBuffer(body) ? { verified: true } : {}) });
  };
  return {
    kind: 'registry',
    description: host,
    rereadable: true,
    supportsMount: true,
    storeId: `registry ${host}`,
    // No repositoryExists: a tag listing that finds no repository does not mean it holds no blob
    // (a load or sync killed before its first manifest leaves blobs in repositories without a tag),
    // so every blob that may already be there is asked for before it is pushed.

    getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<RawManifest> {
      return client.getManifest(host, repo, reference, { signal, push });
    },

    resolveManifest(repo: string, reference: string, signal?: AbortSignal) {
      return client.headManifest(host, repo, reference, { signal, push });
    },

    getBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
      return client.getBlob(host, repo, desc, { signal, push });
    },

    getBlobBytes(repo: string, desc: Descriptor, signal?: AbortSignal, progress?: (bytes: number) => void): Promise<Buffer> {
      return client.getBlobBytes(host, repo, desc, { signal, push, ...(progress ? { progress } : {}) });
    },

    pumpBlob(repo: string, desc: Descriptor, sink: (chunk: Buffer) => Promise<void> | undefined, signal?: AbortSignal): Promise<void> {
      return client.pumpBlob(host, repo, desc, sink, { signal, push });
    },

    listTags(repo: string, signal?: AbortSignal): Promise<string[]> {
      return client.listTags(host, repo, { ...(signal ? { signal } : {}) });
    },

    async referrers(repo: string, digest: string, signal?: AbortSignal): Promise<Descriptor[] | undefined> {
      const ask = () => client.listReferrers(host, repo, digest, { push, ...(signal ? { signal } : {}) });
      if (referrersApi === undefined) {
        const first = ask();
        referrersApi = first.then(
          (l) => l !== undefined,
          () => {
            referrersApi = undefined; // a failed probe decides nothing
            return true;
          },
        );
        return first;
      }
      return (await referrersApi) ? ask() : undefined;
    },

    async hasBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
      // A HEAD, never a POST ?mount=D&from=REPO probe: mounting a blob into the repository that
      // already holds it makes docker-registry rewrite the blob's link file in place, and clients
      // pulling it at that moment get HTTP 500 (issue #16: a sync into a live mirror).
      return (await client.headBlob(host, repo, desc.digest, { signal, push: true })) !== undefined;
    },

    async mountBlob(repo: string, desc: Descriptor, fromRepo: string, signal?: AbortSignal): Promise<boolean> {
      if (repo === fromRepo) return (await client.headBlob(host, repo, desc.digest, { signal, push: true })) !== undefined;
      const r = await client.mountBlob(host, repo, desc.digest, fromRepo, { signal });
      if (r.mounted) return true;
      await keepSession(repo, desc.digest, r.session);
      return false;
    },

    putBlob(repo: string, desc: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
      return upload(repo, desc, body, signal);
    },

    putBlobBytes(repo: string, desc: Descriptor, bytes: Buffer, signal?: AbortSignal): Promise<void> {
      return upload(repo, desc, bytes, signal);
    },

    async putManifest(repo: string, manifest: RawManifest, tag?: string, signal?: AbortSignal): Promise<void> {
      // By tag when there is one: the registry stores it by digest too (one request).
      const answered: { ociSubject?: string } = {};
      await client.putManifest(host, repo, tag ?? manifest.digest, manifest, { ...(signal ? { signal } : {}), answered });
      const subject = tag === undefined ? subjectOf(manifest) : undefined;
      if (!subject || answered.ociSubject) return;
      // No OCI-Subject header: the registry keeps no referrers list, so the fallback index does.
      const k = `${repo}@${subject.digest}`;
      const entry = referrerDescriptor(manifest);
      const run = (fallbackWriters.get(k) ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => client.addToFallbackIndex(host, repo, subject.digest, entry, { ...(signal ? { signal } : {}) }));
      fallbackWriters.set(k, run);
      await run;
      let written = fallbackWrites.get(k);
      if (!written) fallbackWrites.set(k, (written = { repo, subject: subject.digest, entries: new Map() }));
      written.entries.set(entry.digest, entry);
      lastFallbackWrite = Date.now();
    },

    async settle(signal?: AbortSignal): Promise<SettleLoss[]> {
      const writes = [...fallbackWrites.values()].map((w) => ({ repo: w.repo, subject: w.subject, entries: [...w.entries.values()] }));
      fallbackWrites.clear();
      const losses = await client.recheckFallbackIndexes(host, writes, { lastWrite: lastFallbackWrite, ...(signal ? { signal } : {}) });
      return losses.map((l) => ({ repo: l.write.repo, subject: l.write.subject, error: l.error }));
    },

    async commit(): Promise<void> {
      // A registry publishes each manifest as it is put.
    },

    async close(): Promise<void> {
      const sessions = [...declined.values()];
      declined.clear();
      await Promise.all(sessions.map((s) => client.cancelUpload(s)));
    },
  };
}
