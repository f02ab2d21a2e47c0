/** The global options every command honours, as parsed (before or after the command name). */

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
