/**
 * One error tree for the whole library. Every error carries a stable `code`;
 * `cmd/` maps codes to exit codes. Messages never contain secrets: every
 * message passes through `redact()` at construction.
 */

export type ErrorCode =
  | 'E_USAGE' // bad command line
  | 'E_INPUT' // bad input file: chart, values, config, lock, hints
  | 'E_REFERENCE' // malformed image reference
  | 'E_AUTH' // credentials missing or refused
  | 'E_NOT_FOUND' // manifest, blob, repository, chart or file does not exist
  | 'E_DIGEST_MISMATCH' // bytes do not match their digest or size
  | 'E_NETWORK' // connection, TLS, DNS, timeout
  | 'E_REGISTRY' // registry answered with an error we cannot recover from
  | 'E_UNSUPPORTED' // media type, schema 1, digest algorithm we do not handle
  | 'E_TOO_LARGE' // manifest over the size limit, alias bomb
  | 'E_BUNDLE' // malformed bundle / OCI layout / archive
  | 'E_CONFLICT' // two sources map to the same destination
  | 'E_IO' // local file system (disk full, permission)
  | 'E_INCOMPLETE' // the work was done but falls short of what was asked (relocate --check / --strict)
  | 'E_INTERRUPTED' // stopped by SIGINT (Ctrl-C) or SIGTERM
  | 'E_INTERNAL'; // a bug

export interface ErrorOptions {
  cause?: unknown;
  /** What the user can do about it. */
  hint?: string;
}

export class AirliftError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(redact(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint === undefined ? undefined : redact(opts.hint);
    this.name = new.target.name;
  }
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export class UsageError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_USAGE', message, opts);
  }
}
export class InputError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_INPUT', message, opts);
  }
}
export class InvalidReferenceError extends AirliftError {
  readonly input: string;
  readonly reason: string;
  constructor(input: string, reason: string, opts?: ErrorOptions) {
    super('E_REFERENCE', `invalid image reference ${JSON.stringify(input)}: ${reason}`, opts);
    this.input = input;
    this.reason = reason;
  }
}
export class AuthError extends AirliftError {
  readonly registry: string;
  constructor(registry: string, message: string, opts?: ErrorOptions) {
    super('E_AUTH', message, {
      hint: `check the credentials for ${registry} (airlift login ${registry}, --auth-from-secret, or REGISTRY_AUTH_FILE)`,
      ...opts,
    });
    this.registry = registry;
  }
}
export class NotFoundError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_NOT_FOUND', message, opts);
  }
}
export class DigestMismatchError extends AirliftError {
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, opts?: ErrorOptions) {
    super('E_DIGEST_MISMATCH', `${what}: expected ${expected}, got ${actual}`, opts);
    this.expected = expected;
    this.actual = actual;
  }
}
/**
 * A source answered a blob with other content than its descriptor promises, and would again:
 * another size (Content-Length, a resume past its end, the same short body twice) or no blob at
 * all (an HTML page). An integrity failure that no retry changes.
 */
export class BlobContentError extends DigestMismatchError {
  readonly permanent = true;
}
export class NetworkError extends AirliftError {
  /** The host that could not be reached, when known: failures of many images at one host are reported once. */
  readonly host: string | undefined;
  /**
   * Worth trying again (see RegistryError.temporary): set where a socket failure is classified
   * (src/registry/errors.ts: a transient code, not TLS or an unknown host); true unless said
   * otherwise; false once a retry loop has spent its attempts on it.
   */
  readonly temporary: boolean;
  constructor(message: string, opts?: ErrorOptions & { host?: string; temporary?: boolean }) {
    super('E_NETWORK', message, opts);
    this.host = opts?.host;
    this.temporary = opts?.temporary ?? true;
  }
}
export interface OciErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}
export class RegistryError extends AirliftError {
  /**
   * Worth trying the whole operation again: set once, where the response is classified
   * (src/registry/errors.ts): a status that may pass (429, 5xx) the request layer could not
   * retry itself (a streamed body), or a write refused for a moment. False once a retry loop
   * has spent its attempts on it (src/registry/retry.ts, Retries.settle).
   */
  readonly temporary: boolean;
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly ociErrors: OciErrorDetail[];
  constructor(
    init: { status: number; method: string; url: string; ociErrors?: OciErrorDetail[]; message?: string; temporary?: boolean },
    opts?: ErrorOptions,
  ) {
    const url = redact(init.url);
    const detail = (init.ociErrors ?? []).map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ');
    super(
      'E_REGISTRY',
      init.message ?? `${init.method} ${url}: HTTP ${init.status}${detail ? ` (${detail})` : ''}`,
      opts,
    );
    this.status = init.status;
    this.method = init.method;
    this.url = url;
    this.ociErrors = init.ociErrors ?? [];
    this.temporary = init.temporary ?? false;
  }
}
export class UnsupportedError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_UNSUPPORTED', message, opts);
  }
}
export class TooLargeError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_TOO_LARGE', message, opts);
  }
}
export class BundleError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_BUNDLE', message, opts);
  }
}
export class ConflictError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_CONFLICT', message, opts);
  }
}
/** The command did its work, but it falls short of what was asked (relocate --check / --strict found images left at the source). */
export class IncompleteError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_INCOMPLETE', message, opts);
  }
}
export class IoError extends AirliftError {
  constructor(message: string, opts?: ErrorOptions) {
    super('E_IO', message, opts);
  }
}
/**
 * The run was stopped by a signal; the reason of the AbortSignal every command runs under.
 * 'SIGPIPE' is stdout's reader going away (EPIPE: `airlift … | head`): node ignores the signal
 * itself, so cmd/airlift.ts stops the run as the signal would have.
 */
export class InterruptedError extends AirliftError {
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM' | 'SIGPIPE',
    opts?: ErrorOptions,
  ) {
    super(
      'E_INTERRUPTED',
      signal === 'SIGPIPE'
        ? 'stdout was closed by its reader (EPIPE): stopped, the output was not delivered'
        : `interrupted by ${signal}: stopped before the work was done`,
      opts,
    );
  }
}

/**
 * The error with `prefix: ` before its message, as a copy: one error object
 * can be shared (a blob failure every image needing it reports, the reason of
 * an aborted run), so it is never changed in place. An interruption is
 * returned as it is: it concerns the run, not one image.
 */
export function withPrefix(e: AirliftError, prefix: string): AirliftError {
  if (e.code === 'E_INTERRUPTED') return e;
  const copy = Object.create(Object.getPrototypeOf(e) as object) as AirliftError;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(e));
  copy.message = redact(`${prefix}: ${e.message}`);
  return copy;
}

/** The error with `more` added to its hint, as a copy (see withPrefix). */
export function withHint(e: AirliftError, more: string): AirliftError {
  const copy = Object.create(Object.getPrototypeOf(e) as object) as AirliftError;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(e));
  Object.defineProperty(copy, 'hint', { value: redact(e.hint ? `${e.hint}; ${more}` : more), enumerable: true, writable: false, configurable: true });
  return copy;
}

/** Wraps any thrown value so callers can rely on `.code`. */
export function toAirliftError(err: unknown): AirliftError {
  if (err instanceof AirliftError) return err;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EDQUOT') {
      return new IoError(err.message, { cause: err });
    }
    if (code === 'ENOENT') return new NotFoundError(err.message, { cause: err });
    if (
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'ETIMEDOUT' ||
      code === 'ENOTFOUND' ||
      code === 'EAI_AGAIN' ||
      (typeof code === 'string' && code.startsWith('UND_ERR'))
    ) {
      return new NetworkError(err.message, { cause: err });
    }
    return new AirliftError('E_INTERNAL', err.message, { cause: err });
  }
  return new AirliftError('E_INTERNAL', String(err));
}

// ---------------------------------------------------------------- redaction

const secrets = new Set<string>();

/** Registers a secret (password, token) so that no message ever shows it. */
export function registerSecret(s: string | undefined): void {
  if (s && s.length >= 4) secrets.add(s);
}

/** Strips credentials from URLs and known secrets and auth headers from text. */
/** Messages longer than this are cut before redaction, so redaction stays linear and errors stay readable. */
const MAX_MESSAGE_CHARS = 8192;

export function redact(text: string): string {
  if (text.length > MAX_MESSAGE_CHARS) text = `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length - MAX_MESSAGE_CHARS} more characters)`;
  let out = text
    .replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)[^/@\s:]{1,256}(?::[^/@\s]{0,256})?@/gi, '$1***@')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***')
    .replace(/([?&](?:access_token|token|password|X-Amz-Signature|X-Amz-Credential|sig|X-Goog-Signature)=)[^&\s"']+/gi, '$1***')
    .replace(/("(?:password|auth|identitytoken|registrytoken|token|access_token|refresh_token)"\s*:\s*")[^"]*"/gi, '$1***"');
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}
