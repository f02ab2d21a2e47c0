/** Types of the undici modules src/registry/undici.ts loads on their own (the package declares only its index). */
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}
declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Dispatcher.prototype.request, called with the dispatcher as `this`. */
  function request(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
declare module 'undici/lib/core/util.js' {
  /** Raw header pairs to the object request() gives (lower-case names, repeated names as arrays). */
  const util: { parseHeaders(raw: Buffer[], obj?: Record<string, string | string[]>): Record<string, string | string[]> };
  export default util;
}
