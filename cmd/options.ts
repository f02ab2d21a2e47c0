/** Adds flags declared as data (src/cli/options.ts: the groups several commands share) to a command. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { OptionSpec } from '../src/cli/options.js';

/** commander's accumulator for repeatable flags. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds `specs` to `cmd` in their order; a parser's Error becomes commander's invalid-argument error. */
export function addOptions(cmd: Command, ...specs: ReadonlyArray<OptionSpec | readonly OptionSpec[]>): Command {
  for (const s of specs.flat()) {
    const o = new Option(s.flags, s.description);
    if (s.description === undefined) o.hideHelp();
    if (s.choices) o.choices(s.choices);
    const parse = s.parse;
    if (parse) {
      const checked = (v: string): unknown => {
        try {
          return parse(v);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      };
      // a repeatable flag with a parser collects the parsed values
      if (s.repeatable) o.argParser((v: string, previous: unknown[]) => [...previous, checked(v)]);
      else o.argParser(checked);
    } else if (s.repeatable) o.argParser(collect);
    if (s.repeatable) o.default([]);
    else if (s.default !== undefined) o.default(s.default, s.defaultText);
    if (s.required) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  return cmd;
}
