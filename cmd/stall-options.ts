/** The --min-rate and --min-rate-window flags (src/cli/units.ts), their errors as commander's. */
import { InvalidArgumentError } from 'commander';
import * as units from '../src/cli/units.js';

const forCommander = (parse: (v: string) => number) => (v: string): number => {
  try {
    return parse(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

export const parseRate = forCommander(units.parseRate);
export const parseWindow = forCommander(units.parseWindow);
