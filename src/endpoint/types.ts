/**
 * The source/destination contract every store implements: a registry, an OCI
 * image layout directory, and an OCI archive (a tar of a layout). The copy
 * engine is written once against these interfaces.
 *
 * `repo` is the repository inside the store. For a registry it is the path
 * below the host (`library/nginx`). For a layout it is the image name that,
 * joined with a tag, forms the `org.opencontainers.image.ref.name` annotation
 * (airlift writes full names there: `docker.io/library/nginx:1.25`).
 */
import type { Readable } from 'node:stream';
import type { AirliftError } from '../errors.js';
import type { BasicDescriptor, Descriptor, RawManifest } from '../oci/types.js';

/** A blob's bytes pushed into a store as they arrive (ImageDestination.blobWriter). */
export interface BlobWriter {
  /** Takes a chunk (copied or consumed at once); a promise when the caller must wait before the next one. Throws past the size. */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** Resolves once every byte is stored and the digest and size verified. */
  end(): Promise<void>;
  /** Gives up (after a failure anywhere): nothing of the blob counts as stored. */
  abort(): Promise<void>;
}

export type EndpointKind = 'registry' | 'oci-dir' | 'oci-archive' | 'docker-archive';

export interface ImageSource {
  readonly kind: EndpointKind;
  /** Human-readable, credential-free name for messages. */
  readonly description: string;
  /**
   * Whether reading a blob again may give other bytes: true for a registry (bytes damaged on the
   * way, a replica out of step), so a digest mismatch is worth one more read; false for a file,
   * which hands back the same damaged bytes (the copy engine says so instead of retrying).
   */
  readonly rereadable: boolean;
  /** Which store this reads from, when a destination may share it (see ImageDestination.storeId). */
  readonly storeId?: string;
  /** A manifest by tag or digest; when asked by digest the bytes are verified. */
  getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<RawManifest>;
  /** The digest a tag or digest resolves to, without the body where the store can (HEAD). */
  resolveManifest(repo: string, reference: string, signal?: AbortSignal): Promise<BasicDescriptor | undefined>;
  /** The blob's bytes as a stream. The caller verifies digest and size while consuming. */
  getBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /**
   * Optional: a small blob's bytes in memory (the copy engine asks for blobs of at most
   * SMALL_BLOB bytes this way when the destination offers putBlobBytes: no stream between the
   * two). The size is checked; the caller verifies the digest. `progress`, where the store can,
   * is told the size of each piece as it arrives (the stall watch sees a slow download move).
   */
  getBlobBytes?(repo: string, desc: Descriptor, signal?: AbortSignal, progress?: (bytes: number) => void): Promise<Buffer>;
  /**
   * Optional: the blob's bytes handed to `sink` chunk by chunk as they arrive, without a stream
   * between (the copy engine uses it with a destination's blobWriter). The sink's promise pauses
   * the source; an error the sink throws stops the download and is what this rejects with.
   * Resolves once the whole body (its size checked) was handed over; the caller verifies the digest.
   */
  pumpBlob?(repo: string, desc: Descriptor, sink: (chunk: Buffer) => Promise<void> | undefined, signal?: AbortSignal): Promise<void>;
  /**
   * Optional, for what travels with images (src/referrers/): the tags of a repository, one listing
   * (cosign's `sha256-<hex>.sig|.att|.sbom` and the `sha256-<hex>` fallback referrers index are tags).
   */
  listTags?(repo: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * Optional: the referrers API, the descriptors of the manifests whose `subject` is `digest`;
   * undefined when the store does not implement it (then the fallback tag is read instead).
   */
  referrers?(repo: string, digest: string, signal?: AbortSignal): Promise<Descriptor[] | undefined>;
  close(): Promise<void>;
}

/** Everything a copy will store, told in advance to a destination that lays out its output first. */
export interface StorePlan {
  /** Configs and layers (foreign layers left out), each once. */
  blobs: Array<Pick<Descriptor, 'digest' | 'size'>>;
  /** Every manifest and index that will be stored, with its bytes. */
  manifests: RawManifest[];
}

export interface ImageDestination {
  readonly kind: EndpointKind;
  readonly description: string;
  /** True when the store can link a blob from another repository cheaply (registry mount). */
  readonly supportsMount: boolean;
  /**
   * The store's identity: a source with the same `storeId` reads from this very store, so a blob
   * in its repository can be mounted into another instead of copied (a registry: its host, which
   * the source and destination endpoints of one host share). Absent: no other endpoint shares it.
   */
  readonly storeId?: string;
  /** Digest of the manifest at a tag or digest, or undefined when absent. One request on a registry. */
  resolveManifest(repo: string, reference: string, signal?: AbortSignal): Promise<BasicDescriptor | undefined>;
  hasBlob(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<boolean>;
  /**
   * Optional: whether the repository exists at all (false: it holds no blob,
   * so the engine skips blob HEADs there). Undefined when the store cannot tell.
   * Only for a store that can really tell: a registry's tag listing cannot (a
   * load killed before its first manifest leaves blobs in a repository without
   * tags), so registry destinations do not offer it.
   */
  repositoryExists?(repo: string, signal?: AbortSignal): Promise<boolean | undefined>;
  /** Links a blob that already sits in `fromRepo`. Resolves false when the store declined. */
  mountBlob(repo: string, desc: Descriptor, fromRepo: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Reads back a blob this store already holds, where that is cheap (local layouts and their
   * staging); absent on registries. Lets a re-run take small blobs such as image configs from
   * what it staged instead of fetching them from the source again. The caller verifies the bytes.
   */
  readBlob?(repo: string, desc: Descriptor, signal?: AbortSignal): Promise<Readable | undefined>;
  /**
   * True when putBlob hashes every body itself (off the main thread): the engine then checks
   * the size on the way and leaves the digest to the store, whose DigestMismatchError it reports.
   */
  readonly hashesBlobs?: boolean;
  /** Stores a blob; verifies digest and size and stores nothing when they do not match. */
  putBlob(repo: string, desc: Descriptor, body: Readable, signal?: AbortSignal): Promise<void>;
  /**
   * Optional, for a store that hashes blobs itself (hashesBlobs): putBlob's push form, fed by a
   * source's pumpBlob. The writer verifies digest and size; nothing counts as stored before end().
   */
  blobWriter?(repo: string, desc: Descriptor, signal?: AbortSignal): BlobWriter;
  /**
   * Optional: stores a small blob held in memory (see ImageSource.getBlobBytes) that the caller
   * has verified against `desc` (the copy engine does, before anything is sent); not hashed again.
   */
  putBlobBytes?(repo: string, desc: Descriptor, bytes: Buffer, signal?: AbortSignal): Promise<void>;
  /**
   * Stores a manifest by digest, and under `tag` when given. Its blobs and children must already be
   * stored. A manifest with a `subject` stored without a tag is a referrer: the store makes it
   * findable from its subject (a registry without the referrers API: the merged fallback index).
   */
  putManifest(repo: string, manifest: RawManifest, tag?: string, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: a store that writes its output in one pass (an archive) is told
   * every blob and manifest before the first one arrives; the engine calls it
   * once, after walking every job without transferring any blob.
   */
  prepare?(plan: StorePlan, signal?: AbortSignal): Promise<void>;
  /**
   * Optional, once prepared: a blob of the plan the store leaves out on purpose (a differential
   * bundle's base holds it); it never streams, so progress does not count it.
   */
  leavesOut?(digest: string): boolean;
  /**
   * Optional: called once every job of a copy run into the store is done. What the store wrote
   * that a concurrent writer may have undone since (a registry's fallback referrers indexes) is read
   * again and made to hold; what cannot be is returned (the engine fails the images it belongs to).
   */
  settle?(signal?: AbortSignal): Promise<SettleLoss[]>;
  /** Publishes what was written (an archive is tarred and renamed into place here). */
  commit(): Promise<void>;
  /** Releases resources; without a prior commit(), discards what was written where the store can. */
  close(): Promise<void>;
}

/** What a destination's settle() could not make hold: the referrers of `subject` in `repo`. */
export interface SettleLoss {
  repo: string;
  subject: string;
  error: AirliftError;
}
