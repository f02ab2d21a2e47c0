/**
 * The image reference grammar, written from the distribution reference
 * grammar (reference := name [":" tag] ["@" digest]). These are the syntax
 * rules only; semantic checks (port range, IPv6 shape, digest algorithm and
 * length, name length) live in validate.ts.
 */

/** Lowercase letters and digits. */
const ALPHANUMERIC = '[a-z0-9]+';
/** One period, one or two underscores, or any number of dashes. */
const SEPARATOR = '(?:[._]|__|[-]+)';
export const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
export const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
/** Bracketed IPv6 literal; zones and IPv4-mapped forms are excluded by the character class. */
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const OPTIONAL_PORT = '(?::[0-9]+)?';
export const DOMAIN_AND_PORT = `${HOST}${OPTIONAL_PORT}`;

export const TAG = '[\\w][\\w.-]{0,127}';
export const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
export const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;

const anchored = (re: string): RegExp => new RegExp(`^${re}$`);

export const PATH_COMPONENT_RE = anchored(PATH_COMPONENT);
export const REMOTE_NAME_RE = anchored(REMOTE_NAME);
export const DOMAIN_AND_PORT_RE = anchored(DOMAIN_AND_PORT);
export const DOMAIN_NAME_RE = anchored(DOMAIN_NAME);
export const TAG_RE = anchored(TAG);
export const DIGEST_RE = anchored(DIGEST);
export const DIGEST_ALGORITHM_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/;
/** A bare 64-hex string is an image ID, never a repository name. */
export const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
/** name with captures (domain, remote name). */
export const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
/** full reference with captures (name, tag, digest). */
export const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

/** Maximum length of a repository path (the name without the registry host). */
export const REPOSITORY_NAME_MAX = 255;
export const TAG_MAX = 128;

/** Lengths of the hex part for the digest algorithms airlift verifies. */
export const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

export const DOCKER_HUB = 'docker.io';
export const LEGACY_DOCKER_HUB = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
