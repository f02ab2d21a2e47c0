/** The fault proxy's contract: faults, rules, recorded requests, the handle tests hold. */
import type http from 'node:http';

export type Fault =
  | { kind: 'reset'; afterBytes?: number; beforeForward?: boolean; afterRequestBytes?: number }
  | { kind: 'truncate'; afterBytes?: number }
  | { kind: 'status'; status: number; retryAfter?: string | number; body?: string }
  | { kind: 'stall'; ms: number }
  | { kind: 'corrupt'; offset?: number }
  | { kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308 }
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string | Buffer };

export interface FaultRule {
  method?: string | string[];
  path: RegExp;
  /** Matching requests let through before the fault starts (default 0). */
  skip?: number;
  /** Matching requests the fault applies to after `skip` (default 1; Infinity = every one). */
  times?: number;
  /** A further condition on the request (e.g. its Content-Length); requests failing it do not match. */
  when?: (req: { method: string; path: string; headers: http.IncomingHttpHeaders }) => boolean;
  fault: Fault;
}

export interface RuleHandle {
  /** Requests the fault was applied to. */
  applied(): number;
  /** Requests that matched (applied or skipped). */
  matched(): number;
  remove(): void;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path and query, as received. */
  path: string;
  headers: http.IncomingHttpHeaders;
  authorization: boolean;
  /** Status sent to the client (0 when the connection was reset before headers). */
  status: number;
  /** The fault applied, if any. */
  fault?: Fault['kind'];
  time: number;
}

export interface UpstreamTarget {
  url: string;
  caFile?: string;
}

export interface FaultProxy {
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** "ADDR:PORT" of the redirect target (another loopback host). */
  redirectHost: string;
  addRule(rule: FaultRule): RuleHandle;
  clearRules(): void;
  /** Requests seen by the proxy, oldest first. */
  requests(): RecordedRequest[];
  /** Requests seen by the redirect target. */
  redirected(): RecordedRequest[];
  /** Forgets recorded requests (rules stay). */
  clearLog(): void;
  /** TCP connections clients opened to the proxy since it started (for connection-reuse checks). */
  connections(): number;
  /** Resolves with the first recorded request (past or future) matching `pred`. */
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  stop(): Promise<void>;
}
