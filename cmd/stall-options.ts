/** Moved to src/cli/units.ts (cmd/options.ts addOptions reports their errors as commander's); kept for imports from here. */
export { parseRate, parseWindow } from '../src/cli/units.js';
