/**
 * Finds the pinned Go tools that scripts/go-tools.sh builds (helm, and later
 * others) in ${AIRLIFT_TOOLS_DIR:-~/.cache/airlift/tools}/bin. A test that needs
 * one and does not find it fails loudly with the command that installs it; it
 * never skips.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function toolsDir(): string {
  return process.env.AIRLIFT_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'airlift', 'tools');
}

/** Absolute path of a pinned tool (e.g. 'helm'); throws when it was not built. */
export function toolBinary(name: string): string {
  const p = path.join(toolsDir(), 'bin', name);
  try {
    accessSync(p, fsConstants.X_OK);
    return p;
  } catch {
    throw new Error(`${name} not found at ${p}: run scripts/install-system-deps.sh (or scripts/go-tools.sh ${name})`);
  }
}

export function helmBinary(): string {
  return toolBinary('helm');
}
