/**
 * Reads airlift's real command-line grammar from its `--help` output (run
 * in-process through cmd/main.ts), and checks an argv from a manifest against
 * it: every option must be one the command (or the program) declares, and
 * options that take a value get one.
 */
import { runCli } from '../../helpers/io.js';

export interface OptionSpec {
  flags: string[];
  takesValue: boolean;
}

export interface ParsedArgv {
  command: string[];
  /** Every option given (global or command), by long name, with its values. */
  options: Map<string, string[]>;
  positionals: string[];
}

const OPTION_LINE = /^\s{2}((?:-[A-Za-z], )?--[a-z][\w-]*)(?: (<[^>]+>|\[[^\]]+\]))?(?:\s|$)/;

export function parseHelpOptions(help: string): Map<string, OptionSpec> {
  const out = new Map<string, OptionSpec>();
  let inOptions = false;
  for (const line of help.split('\n')) {
    if (/^(Global )?Options:/.test(line)) {
      inOptions = true;
      continue;
    }
    if (/^\S/.test(line)) inOptions = false;
    if (!inOptions) continue;
    const m = OPTION_LINE.exec(line);
    if (!m) continue;
    const flags = m[1]!.split(', ');
    const spec = { flags, takesValue: m[2] !== undefined };
    for (const f of flags) out.set(f, spec);
  }
  return out;
}

export async function helpFor(command: string[]): Promise<string> {
  const r = await runCli([...command, '--help']);
  if (r.code !== 0) throw new Error(`airlift ${command.join(' ')} --help exited ${r.code}: ${r.stderr}`);
  const usage = `Usage: airlift ${command.join(' ')}`.trimEnd();
  if (!r.stdout.startsWith(usage)) {
    throw new Error(`airlift has no command "${command.join(' ')}" (its --help printed: ${r.stdout.split('\n')[0]})`);
  }
  return r.stdout;
}

function subcommands(help: string): string[] {
  const i = help.indexOf('\nCommands:\n');
  if (i < 0) return [];
  return help
    .slice(i + 11)
    .split('\n')
    .map((l) => /^\s{2}([a-z][\w-]*)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x) && x !== 'help');
}

function longName(spec: OptionSpec): string {
  return spec.flags.find((f) => f.startsWith('--')) ?? spec.flags[0]!;
}

/** Parses `argv` (the container args after the `airlift` command) against the real CLI. */
export async function parseAgainstCli(argv: string[]): Promise<ParsedArgv> {
  const globalHelp = await helpFor([]);
  const globals = parseHelpOptions(globalHelp);
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  const command: string[] = [];
  let specs = globals;
  let help = globalHelp;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok.startsWith('-') && tok !== '-') {
      const [name, inline] = tok.includes('=') ? [tok.slice(0, tok.indexOf('=')), tok.slice(tok.indexOf('=') + 1)] : [tok, undefined];
      const spec = specs.get(name) ?? globals.get(name);
      if (!spec) throw new Error(`option ${name} is not an option of "airlift ${command.join(' ')}" (not in its --help)`);
      let value = inline ?? '';
      if (spec.takesValue && inline === undefined) {
        const next = argv[++i];
        if (next === undefined) throw new Error(`option ${name} needs a value`);
        value = next;
      }
      const key = longName(spec);
      options.set(key, [...(options.get(key) ?? []), value]);
      continue;
    }
    const subs = positionals.length === 0 ? subcommands(help) : [];
    if (subs.includes(tok)) {
      command.push(tok);
      help = await helpFor(command);
      specs = parseHelpOptions(help);
      continue;
    }
    if (command.length === 0) throw new Error(`"${tok}" is not an airlift command (commands: ${subs.join(', ')})`);
    positionals.push(tok);
  }
  return { command, options, positionals };
}
