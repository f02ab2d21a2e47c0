/** Moved to src/cli/exit-codes.ts; kept for imports from here. */
export * from '../src/cli/exit-codes.js';
