/**
 * sha256 of bytes for tests' expected values, from node:crypto directly (so a test's expectation
 * does not come from the src/digest code it may be judging).
 */
import { createHash } from 'node:crypto';

/** `sha256:<hex>`, an OCI digest. */
export const sha256Digest = (b: Buffer | string): string => `sha256:${sha256Hex(b)}`;

/** The bare hex, as sha256sum prints it. */
export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
