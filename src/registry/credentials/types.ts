/** What a credential source yields for one registry. */
export interface Credential {
  username?: string;
  password?: string;
  /** A refresh token (docker `identitytoken`): exchanged with grant_type=refresh_token. */
  identityToken?: string;
  /** A bearer token to send as is (docker `registrytoken`). */
  registryToken?: string;
  /** Where it came from, for logs (never the secret). */
  source: string;
}

export interface CredentialResolver {
  /** Credentials for `host` (e.g. "127.0.0.1:5000"), optionally scoped to `repository`. */
  get(host: string, repository?: string): Promise<Credential | undefined>;
  /** Where credentials are looked for, in order (for "no credentials stored" messages). */
  lookedIn?(): string[];
}

/** An `auths` entry as docker config.json / containers auth.json store it. */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

/** The parts of a docker-style config file airlift reads. */
export interface AuthConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}
