/**
 * The registry endpoints of one run, one per host and role, sharing one RegistryClient, so that
 * what is known at a host (its scheme, tokens, the repositories it lacks, declined mounts) serves
 * every image of the run.
 *
 * A destination endpoint asks for push,pull tokens; a source
 * endpoint asks for pull tokens only. A source on a host that is also a destination of the run is
 * read through the destination's endpoint: its push,pull tokens cover reads (one token per
 * repository, not two) and the copy engine can then mount a blob from the source repository
 * instead of uploading it. Ask for the destinations before the sources.
 */
import type { RegistryClient } from '../registry/client.js';
import { createRegistryEndpoint, type RegistryEndpoint } from './registry.js';

export type EndpointRole = 'source' | 'destination';

export class EndpointPool {
  private readonly endpoints = new Map<string, RegistryEndpoint>();
  private client: RegistryClient | undefined;

  /** `makeClient` is called once, when the first endpoint is asked for. */
  constructor(private readonly makeClient: () => RegistryClient) {}

  /** The endpoint that reads images from `host`. */
  source(host: string): RegistryEndpoint {
    return this.endpoints.get(key(host, 'destination')) ?? this.endpoint(host, 'source');
  }

  /** The endpoint that writes images to `host`. */
  destination(host: string): RegistryEndpoint {
    return this.endpoint(host, 'destination');
  }

  /** An endpoint by role: the factory openEndpoint takes for docker:// endpoints. */
  readonly factory = (host: string, role: EndpointRole): RegistryEndpoint => (role === 'destination' ? this.destination(host) : this.source(host));

  private endpoint(host: string, role: EndpointRole): RegistryEndpoint {
    const k = key(host, role);
    let ep = this.endpoints.get(k);
    if (!ep) {
      this.client ??= this.makeClient();
      ep = createRegistryEndpoint(host, this.client, { push: role === 'destination' });
      this.endpoints.set(k, ep);
    }
    return ep;
  }

  /** Closes every endpoint (cancelling upload sessions left open), then the client. */
  async close(): Promise<void> {
    for (const ep of this.endpoints.values()) await ep.close().catch(() => undefined);
    this.endpoints.clear();
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}

function key(host: string, role: EndpointRole): string {
  return `${role} ${host}`;
}
