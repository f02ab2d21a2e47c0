/**
 * undici's Pool, Agent and request call, loaded once, on first use.
 *
 * The package index also loads fetch, WebSocket, EventSource and the caches, which a registry
 * client never uses and which take a large part of a short run's start. For the undici version
 * package.json pins (PINNED_UNDICI), the three modules the transport needs are imported on their
 * own and `request` is called with the dispatcher as `this` (nothing is added to undici's
 * prototypes). Any other version, or modules that moved, take the package index, as published.
 * The module imports are static strings, so a bundler follows both ways; where undici's package.json
 * cannot be read (a bundle), the index is used.
 */
import { createRequire } from 'node:module';
import type { Agent, Dispatcher, Pool } from 'undici';

/** The undici version whose module layout the quick way was written against (package.json pins it). */
export const PINNED_UNDICI = '7.30.2';

export interface Undici {
  Pool: typeof Pool;
  Agent: typeof Agent;
  request(dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  /** Raw header pairs as request() gives them (lower-case names, repeated names as arrays). */
  parseHeaders(raw: Buffer[]): Record<string, string | string[]>;
  /** 'modules': the pinned version's own modules; 'index': the package index. */
  via: 'modules' | 'index';
}

/** The installed undici's version; undefined where package.json cannot be read (a bundle: the index is used). */
function installedVersion(): string | undefined {
  try {
    // require, not a JSON import: Node 20 before 20.19 warns on stderr that JSON modules are experimental.
    return (createRequire(import.meta.url)('undici/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

async function fromModules(): Promise<Undici | undefined> {
  try {
    const [pool, agent, api, util] = await Promise.all([
      import('undici/lib/dispatcher/pool.js'),
      import('undici/lib/dispatcher/agent.js'),
      import('undici/lib/api/api-request.js'),
      import('undici/lib/core/util.js'),
    ]);
    const request = api.default;
    const parseHeaders = util.default.parseHeaders;
    if (typeof pool.default !== 'function' || typeof agent.default !== 'function' || typeof request !== 'function' || typeof parseHeaders !== 'function') return undefined;
    return { Pool: pool.default, Agent: agent.default, request: (d, o) => request.call(d, o), parseHeaders: (raw) => parseHeaders(raw), via: 'modules' };
  } catch {
    return undefined;
  }
}

async function fromIndex(): Promise<Undici> {
  const u = await import('undici');
  return { Pool: u.Pool, Agent: u.Agent, request: (d, o) => d.request(o), parseHeaders: (raw) => u.util.parseHeaders(raw) as Record<string, string | string[]>, via: 'index' };
}

/** Loads undici: the quick way when `version` (default: the installed one) is the pinned one, else the index. */
export async function loadUndici(version?: string): Promise<Undici> {
  const v = version ?? installedVersion();
  return (v === PINNED_UNDICI ? await fromModules() : undefined) ?? fromIndex();
}

let loaded: Promise<Undici> | undefined;

/** The process's undici, loaded on first use. */
export function undici(): Promise<Undici> {
  loaded ??= loadUndici();
  return loaded;
}
