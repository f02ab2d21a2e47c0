/** airlift's version, read from package.json (next to `src/` in the source tree, two levels up from `dist/src/`). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readVersion(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  return '0.0.0';
}

/** Set by `npm run release` (esbuild's define) in the bundled forms, which have no package.json beside them. */
declare const __AIRLIFT_VERSION__: string | undefined;

export const VERSION = typeof __AIRLIFT_VERSION__ === 'string' ? __AIRLIFT_VERSION__ : readVersion();
