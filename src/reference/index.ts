/**
 * Image references (no I/O): parse, validate, normalise and format
 * `[registry[:port]/]path[:tag][@digest]` following the distribution
 * reference grammar, with Docker Hub normalisation.
 */
export type { Reference, ParseOptions } from './types.js';
export { parseReference, tryParseReference } from './parse.js';
export { formatReference, repositoryString } from './format.js';
export { isRegistryHost, splitRepository } from './host.js';
