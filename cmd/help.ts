/**
 * What every command's --help ends with: examples to copy, and the global options the command
 * honours (they may be given before or after the command name). Kept here, in one table, so the
 * help of every command reads the same.
 */
import type { Command } from 'commander';

type Global = '--concurrency' | '--ca-file' | '--insecure-skip-tls-verify' | '--plain-http' | '--auth-from-secret' | '--json' | '--quiet' | '--verbose';

const GLOBAL_HELP: Record<Global, string> = {
  '--concurrency': '--concurrency <n>            parallel transfers (default 8)',
  '--ca-file': '--ca-file <file>             trust this CA bundle (PEM) for TLS registries (repeatable)',
  '--insecure-skip-tls-verify': '--insecure-skip-tls-verify   do not verify registry TLS certificates',
  '--plain-http': '--plain-http <host>          talk plain HTTP to this registry host (repeatable)',
  '--auth-from-secret': '--auth-from-secret <file>    registry credentials from a dockerconfigjson Secret manifest',
  '--json': '--json                       one JSON event per line on stderr',
  '--quiet': '-q, --quiet                  print only errors on stderr',
  '--verbose': '-v, --verbose                print debug logs',
};

const OUTPUT: Global[] = ['--json', '--quiet', '--verbose'];
const TLS: Global[] = ['--ca-file', '--insecure-skip-tls-verify', '--plain-http'];
const REGISTRY: Global[] = ['--concurrency', ...TLS, '--auth-from-secret', ...OUTPUT];

interface CommandHelp {
  examples: string[];
  globals: Global[];
}

export const COMMAND_HELP: Record<string, CommandHelp> = {
  images: {
    examples: [
      'airlift images ./my-chart -f my-values.yaml          # every image, and where each is set',
      'airlift images ./my-chart --hosts                    # hosts to allow through the firewall',
      'helm template my-release ./my-chart | airlift images -',
      'airlift images oci://registry.example.com/charts/app --version 1.x   # a chart from an OCI registry (or REPO/CHART, --repo URL CHART)',
    ],
    // the TLS and credential options apply to the charts fetched from repositories and registries
    globals: [...TLS, '--auth-from-secret', ...OUTPUT],
  },
  save: {
    examples: [
      'airlift save ./my-chart -f my-values.yaml -o bundle.tar',
      'airlift save --config airlift.yaml -o bundle.tar --platform linux/amd64',
      'airlift save --image docker.io/library/busybox:1.36 -o tools.tar',
      'airlift save oci://registry.example.com/charts/app --version 1.x -o bundle.tar',
      'airlift save --repo https://charts.example.com app --version 1.2.3 --username u --password-stdin -o bundle.tar < pass.txt',
    ],
    globals: REGISTRY,
  },
  load: {
    examples: [
      'airlift load bundle.tar --to mirror.internal:5000/platform --lock-out landed.lock.json',
      'airlift --ca-file mirror-ca.pem load bundle.tar --to mirror.internal:5000 -o json',
    ],
    globals: REGISTRY,
  },
  sync: {
    examples: [
      'airlift sync ./my-chart --to mirror.internal:5000/platform --lock-out mirror.lock.json',
      'airlift sync --config airlift.yaml --concurrency 16',
    ],
    globals: REGISTRY,
  },
  copy: {
    examples: [
      'airlift copy docker://docker.io/library/nginx:1.25 oci-archive:nginx.tar',
      'airlift copy oci-archive:bundle.tar:docker.io/library/nginx:1.25 docker://mirror.internal:5000/nginx:1.25',
    ],
    globals: REGISTRY,
  },
  verify: {
    examples: ['airlift verify bundle.tar', 'airlift verify --to mirror.internal:5000/platform bundle.tar'],
    globals: REGISTRY,
  },
  serve: {
    examples: ['airlift serve bundle.tar --listen 127.0.0.1:5000'],
    globals: OUTPUT,
  },
  relocate: {
    examples: [
      'airlift relocate ./my-chart --to mirror.internal:5000/platform -o overrides.yaml',
      'airlift relocate ./my-chart --to mirror.internal:5000/platform --pull-secret mirror-pull \\\n    --secret-out pull-secret.yaml --username robot --password-stdin -o overrides.yaml < token.txt',
      'airlift relocate ./my-chart --to mirror.internal:5000 --digests --lock landed.lock.json -o overrides.yaml',
    ],
    globals: ['--ca-file', '--insecure-skip-tls-verify', '--plain-http', '--auth-from-secret', ...OUTPUT],
  },
  login: {
    examples: [
      'airlift login mirror.internal:5000 -u admin                     # asks for the password',
      'airlift login mirror.internal:5000 -u admin --password-stdin < password.txt',
    ],
    globals: [...TLS, ...OUTPUT],
  },
  logout: {
    examples: ['airlift logout mirror.internal:5000'],
    globals: OUTPUT,
  },
  lock: {
    examples: ['airlift lock merge shard-*.lock.json -o mirror.lock.json', 'airlift lock diff --exit-code old.lock.json new.lock.json'],
    globals: OUTPUT,
  },
  'lock merge': {
    examples: ['airlift lock merge shard-0.lock.json shard-1.lock.json -o mirror.lock.json'],
    globals: OUTPUT,
  },
  'lock diff': {
    examples: ['airlift lock diff old.lock.json new.lock.json', 'airlift lock diff --exit-code -o json old.lock.json new.lock.json   # exit 1 when they differ'],
    globals: OUTPUT,
  },
};

export function helpText(name: string): string {
  const h = COMMAND_HELP[name];
  if (!h) return '';
  const examples = h.examples.map((e) => `  $ ${e}`).join('\n');
  const globals = h.globals.map((g) => `  ${GLOBAL_HELP[g]}`).join('\n');
  return `\nExamples:\n${examples}\n\nGlobal options it honours (before or after the command):\n${globals}\n`;
}

/** Adds the examples and global options to `cmd`'s help and to its subcommands' (`lock merge`). */
export function addCommandHelp(cmd: Command, prefix = ''): void {
  const name = `${prefix}${cmd.name()}`;
  const text = helpText(name);
  if (text) cmd.addHelpText('after', text);
  for (const sub of cmd.commands) addCommandHelp(sub, `${name} `);
}
