/**
 * RegistryClient: the OCI distribution API for any number of registries,
 * sharing one transport (a keep-alive pool per registry origin), one token
 * cache and one per-registry concurrency limit.
 */
import type { Readable } from 'node:stream';
import { AuthError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { BasicDescriptor, Descriptor, RawManifest } from '../oci/types.js';
import { Authenticator } from './auth.js';
import { getBlob, getBlobBytes, getBlobVerified, headBlob, pumpBlob, type BlobOptions } from './blobs.js';
import { createCredentialResolver, type CredentialResolver } from './credentials/index.js';
import { listTags, referrers, type ReferrersResult } from './listing.js';
import { addToFallbackIndex, listReferrers, recheckFallbackIndexes, type FallbackLoss, type FallbackWrite } from './referrers.js';
import { getManifest, headManifest, putManifest, type ManifestOptions } from './manifests.js';
import { Requester } from './request.js';
import { retryPolicy, type RetryOptions } from './retry.js';
import { Transport } from './transport.js';
import { cancelUpload, mountBlob, startUpload, uploadBlob, type MountResult, type UploadOptions, type UploadSession } from './upload.js';

export interface RegistryClientOptions {
  caFiles?: string[];
  insecureSkipTlsVerify?: boolean;
  /** Hosts whose certificates are not verified (per-registry --insecure-skip-tls-verify). */
  insecureHosts?: string[];
  /** Lower-cased host[:port] → CA files trusted for that registry only (per-registry --ca-file). */
  hostCaFiles?: Record<string, string[]>;
  /** Hosts (host or host:port) spoken to over plain HTTP. */
  plainHttp?: string[];
  /** Kubernetes dockerconfigjson Secret manifests to read credentials from. */
  authFromSecret?: string[];
  env?: NodeJS.ProcessEnv;
  /** Requests in flight per registry (default 16). */
  concurrencyPerRegistry?: number;
  logger?: Logger;
  userAgent?: string;
  retry?: RetryOptions;
  /** Replaces the file-based credential lookup (login verification, tests). */
  credentials?: CredentialResolver;
  /** Per-host CA directories (DIR/HOST/*.crt); defaults to docker's and containers' certs.d. */
  certsDirs?: string[];
  /** Upload blobs larger than this in chunks (default: never). */
  chunkedUploadThreshold?: number;
  chunkSize?: number;
}

export class RegistryClient {
  readonly requester: Requester;
  private readonly transport: Transport;
  private readonly uploadDefaults: Pick<UploadOptions, 'chunkedThreshold' | 'chunkSize'>;

  constructor(o: RegistryClientOptions = {}) {
    const env = o.env ?? process.env;
    const logger = o.logger ?? silentLogger;
    const retry = retryPolicy(o.retry);
    this.transport = new Transport({
      tls: { caFiles: o.caFiles ?? [], insecureSkipTlsVerify: Boolean(o.insecureSkipTlsVerify), insecureHosts: o.insecureHosts ?? [], hostCaFiles: o.hostCaFiles ?? {}, ...(o.certsDirs ? { certsDirs: o.certsDirs } : {}) },
      plainHttp: o.plainHttp ?? [],
      env,
      userAgent: o.userAgent ?? 'airlift',
      logger,
      retry,
    });
    const credentials = o.credentials ?? createCredentialResolver({ env, authFromSecret: o.authFromSecret ?? [] });
    const auth = new Authenticator(this.transport, credentials, logger);
    this.requester = new Requester(this.transport, auth, retry, logger, Math.max(1, o.concurrencyPerRegistry ?? 16));
    this.uploadDefaults = {
      ...(o.chunkedUploadThreshold !== undefined ? { chunkedThreshold: o.chunkedUploadThreshold } : {}),
      ...(o.chunkSize !== undefined ? { chunkSize: o.chunkSize } : {}),
    };
  }

  /** GET /v2/: which origin (https/http) serves `host`, and which auth scheme it asks for. */
  async ping(host: string, signal?: AbortSignal): Promise<{ origin: string; auth: 'none' | 'basic' | 'bearer' | string }> {
    const info = await this.transport.ping(host, signal);
    return { origin: info.origin, auth: info.challenge?.scheme ?? 'none' };
  }

  /**
   * Verifies that the configured credentials are accepted (what `login` does):
   * GET /v2/ with Basic, or a Bearer token obtained with them.
   */
  async checkLogin(host: string, signal?: AbortSignal): Promise<void> {
    const info = await this.transport.ping(host, signal);
    if (!info.challenge) return;
    const authorization = await this.requester.auth.header(info, [], signal);
    if (!authorization) throw new AuthError(host, `${host} requires credentials and none were given`);
    const res = await this.transport.send('GET', `${info.origin}/v2/`, host, info.origin, { headers: { authorization }, signal });
    await res.body.dump();
    if (res.statusCode === 401 || res.statusCode === 403) throw new AuthError(host, `${host} refused the credentials (HTTP ${res.statusCode})`);
    if (res.statusCode !== 200) throw new AuthError(host, `${host} answered GET /v2/ with HTTP ${res.statusCode} after authentication`);
  }

  getManifest(host: string, repo: string, reference: string, o?: ManifestOptions): Promise<RawManifest> {
    return getManifest(this.requester, host, repo, reference, o);
  }
  /** HEAD; undefined when the tag/digest does not exist. */
  headManifest(host: string, repo: string, reference: string, o?: ManifestOptions): Promise<BasicDescriptor | undefined> {
    return headManifest(this.requester, host, repo, reference, o);
  }
  /** `o.answered.ociSubject` is set when the registry answered with an OCI-Subject header (it keeps referrers itself). */
  putManifest(host: string, repo: string, reference: string, manifest: RawManifest, o?: { signal?: AbortSignal; answered?: { ociSubject?: string } }): Promise<string> {
    return putManifest(this.requester, host, repo, reference, manifest, o);
  }

  headBlob(host: string, repo: string, digest: string, o?: BlobOptions): Promise<{ size: number } | undefined> {
    return headBlob(this.requester, host, repo, digest, o);
  }
  /** Raw bytes (resumed after drops); verify them with VerifyingStream, or use getBlobVerified. */
  getBlob(host: string, repo: string, desc: Pick<Descriptor, 'digest'> & { size?: number }, o?: BlobOptions): Promise<Readable> {
    return getBlob(this.requester, host, repo, desc, o);
  }
  /** A small blob's bytes in memory (size checked, resumed after drops); the caller verifies the digest. */
  getBlobBytes(host: string, repo: string, desc: Pick<Descriptor, 'digest' | 'size'>, o?: BlobOptions): Promise<Buffer> {
    return getBlobBytes(this.requester, host, repo, desc, o);
  }
  /** The blob's bytes handed to `sink` as they arrive (size checked, resumed after drops); the caller verifies the digest. */
  pumpBlob(host: string, repo: string, desc: Pick<Descriptor, 'digest'> & { size?: number }, sink: (chunk: Buffer) => Promise<void> | undefined, o?: BlobOptions): Promise<void> {
    return pumpBlob(this.requester, host, repo, desc, sink, o);
  }
  getBlobVerified(host: string, repo: string, desc: Descriptor, o?: BlobOptions): Promise<Readable> {
    return getBlobVerified(this.requester, host, repo, desc, o);
  }
  /** Uploads a blob; nothing is committed when the bytes do not match `desc`. */
  putBlob(host: string, repo: string, desc: Descriptor, body: Readable | Buffer, o: UploadOptions = {}): Promise<void> {
    return uploadBlob(this.requester, host, repo, desc, body, { ...this.uploadDefaults, ...o });
  }
  mountBlob(host: string, repo: string, digest: string, fromRepo: string, o?: { signal?: AbortSignal }): Promise<MountResult> {
    return mountBlob(this.requester, host, repo, digest, fromRepo, o);
  }
  startUpload(host: string, repo: string, o?: { signal?: AbortSignal }): Promise<UploadSession> {
    return startUpload(this.requester, host, repo, o);
  }
  cancelUpload(session: UploadSession): Promise<void> {
    return cancelUpload(this.requester, session);
  }

  listTags(host: string, repo: string, o?: { signal?: AbortSignal; pageSize?: number }): Promise<string[]> {
    return listTags(this.requester, host, repo, o);
  }
  referrers(host: string, repo: string, digest: string, o?: { signal?: AbortSignal; artifactType?: string }): Promise<ReferrersResult> {
    return referrers(this.requester, host, repo, digest, o);
  }
  /** The referrers API, every page; undefined when the registry does not implement it (404). */
  listReferrers(host: string, repo: string, digest: string, o?: { signal?: AbortSignal; push?: boolean }): Promise<Descriptor[] | undefined> {
    return listReferrers(this.requester, host, repo, digest, o);
  }
  /** Merges `entry` into the `sha256-<hex>` fallback referrers index of `subject` (registries without the referrers API). */
  addToFallbackIndex(host: string, repo: string, subject: string, entry: Descriptor, o?: { signal?: AbortSignal }): Promise<'added' | 'present'> {
    return addToFallbackIndex(this.requester, host, repo, subject, entry, o);
  }
  /** The end-of-run re-check of the fallback indexes a run wrote at `host`: entries another writer dropped are merged in again; what cannot be made to hold is returned. */
  recheckFallbackIndexes(host: string, writes: readonly FallbackWrite[], o?: { signal?: AbortSignal; lastWrite?: number }): Promise<FallbackLoss[]> {
    return recheckFallbackIndexes(this.requester, host, writes, o);
  }

  /** Closes every connection. The client may be used again afterwards (pools reopen). */
  close(): Promise<void> {
    return this.transport.close();
  }
}

export function createRegistryClient(o: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient(o);
}
