/** Reads and atomically writes the docker config file (what `docker login` edits). */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IoError } from '../../errors.js';
import { parseAuthConfig } from './entries.js';

/** $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return path.join(env.HOME || os.homedir(), '.docker', 'config.json');
}

/** The whole file as a JSON object ({} when absent), keeping keys airlift does not know. */
export async function readDockerConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new IoError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text.trim() === '') return {};
  return parseAuthConfig(text, file) as Record<string, unknown>;
}

/** Writes via a temporary file in the same directory and rename, mode 0600. */
export async function writeDockerConfigFile(file: string, data: Record<string, unknown>): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, JSON.stringify(data, null, '\t') + '\n', { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new IoError(`cannot write ${file}: ${(err as Error).message}`, { cause: err, hint: 'check that the directory is writable' });
  }
}
