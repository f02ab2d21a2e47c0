/** The OCI distribution API client (src/registry). */
export { RegistryClient, createRegistryClient, type RegistryClientOptions } from './client.js';
export type { ManifestOptions } from './manifests.js';
export { MANIFEST_ACCEPT, OCI_ARTIFACT_MANIFEST } from './manifests.js';
export type { BlobOptions } from './blobs.js';
export type { MountResult, UploadOptions, UploadSession } from './upload.js';
export { HoldLast } from './upload.js';
export type { ReferrersResult } from './listing.js';
export { referrersTag } from './listing.js';
export { parseChallenges, parseScopes, formatScope, repoScope, scopesCover, type Challenge, type Scope } from './challenge.js';
export { parseLinkHeader, nextLink } from './link.js';
export { isLoopbackHost, schemePlan } from './hosts.js';
export { backoffDelay, isRetryableStatus, parseRetryAfter, retryPolicy, type RetryOptions } from './retry.js';
export {
  createCredentialResolver,
  staticCredentials,
  dockerConfigPath,
  readDockerConfigFile,
  writeDockerConfigFile,
  type Credential,
  type CredentialResolver,
} from './credentials/index.js';
