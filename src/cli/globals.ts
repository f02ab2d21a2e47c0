/** The global options every command honours, as parsed (before or after the command name). */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

export interface GlobalOptions {
  concurrency: number;
  quiet: boolean;
  json: boolean;
  caFile: string[];
  insecureSkipTlsVerify: boolean;
  plainHttp: string[];
  authFromSecret: string[];
  verbose: boolean;
  /** Bytes/s under which a blob transfer fails (0: never), measured over minRateWindowMs. */
  minRate: number;
  minRateWindowMs: number;
}

/** The parsed global options from commander's option values (`program.opts()`). */
export function globalsFrom(o: Record<string, unknown>): GlobalOptions {
  return {
    concurrency: o.concurrency as number,
    quiet: Boolean(o.quiet),
    json: Boolean(o.json),
    verbose: Boolean(o.verbose),
    caFile: o.caFile as string[],
    insecureSkipTlsVerify: Boolean(o.insecureSkipTlsVerify),
    plainHttp: o.plainHttp as string[],
    authFromSecret: o.authFromSecret as string[],
    minRate: o.minRate as number,
    minRateWindowMs: o.minRateWindow as number,
  };
}

/**
 * `--ca-file` and `--auth-from-secret` name files that are read only when a registry is first
 * contacted, and not at all by a run that contacts none (`images` of a local chart): a path that
 * does not name a file is said before any work, naming the flag, with the exit code the late read
 * would give (3). Their content is checked where they are read (src/registry/tls.ts, credentials/).
 */
export async function checkGlobalFiles(g: Pick<GlobalOptions, 'caFile' | 'authFromSecret'>, cwd: string): Promise<void> {
  const named: Array<[string, string[], string]> = [
    ['--ca-file', g.caFile, 'give a PEM file of CA certificates'],
    ['--auth-from-secret', g.authFromSecret, 'give a kubernetes.io/dockerconfigjson Secret manifest (kubectl get secret NAME -o yaml > FILE)'],
  ];
  for (const [flag, files, what] of named) {
    for (const f of files) {
      const st = await stat(path.resolve(cwd, f)).catch((err: NodeJS.ErrnoException) => err);
      if (st instanceof Error) {
        const missing = st.code === 'ENOENT' || st.code === 'ENOTDIR';
        throw new InputError(missing ? `${flag} ${f} does not exist` : `${flag} ${f} cannot be read: ${st.message}`, { hint: `check the path; ${what}` });
      }
      if (!st.isFile()) throw new InputError(`${flag} ${f} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}`, { hint: what });
    }
  }
}
