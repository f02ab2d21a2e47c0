// The esbuild plugin both bundles of airlift use: release/airlift.mjs and the executables
// (scripts/release.mjs), and dist/cmd/airlift.js, the entry `npm run build` bundles (scripts/build-entry.mjs).
import { readFileSync } from 'node:fs';

/**
 * The sources load CommonJS packages lazily and by deep path with `createRequire(import.meta.url)`
 * (yaml on first use; undici's Pool and Agent without its index), which esbuild cannot follow.
 * Here each such `const NAME = createRequire(import.meta.url);` is dropped and its calls become plain
 * `require('literal')` calls, which esbuild bundles (CommonJS modules stay lazy: each is evaluated on
 * its first require, as before).
 */
export const followCreateRequire = {
  name: 'follow-create-require',
  setup(b) {
    b.onLoad({ filter: /[\\/](src|cmd)[\\/].*\.ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      if (!text.includes('createRequire(import.meta.url)')) return undefined;
      text = text.replace(/createRequire\(import\.meta\.url\)\(/g, 'require(');
      for (const m of [...text.matchAll(/^const (\w+) = createRequire\(import\.meta\.url\);$/gm)]) {
        text = text.replace(m[0], '');
        if (m[1] !== 'require') text = text.replace(new RegExp(`\\b${m[1]}\\(`, 'g'), 'require(');
      }
      if (text.includes('createRequire(import.meta.url)')) throw new Error(`${args.path}: a createRequire(import.meta.url) this build cannot follow`);
      return { contents: text, loader: 'ts' };
    });
  },
};
