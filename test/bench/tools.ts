/**
 * The commands the benchmark measures: airlift (the built CLI, as a child
 * process) and skopeo 1.9 (`sync`, and `copy` into one OCI directory + `tar`).
 */
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { skopeoBinary } from '../harness/skopeo.js';
import type { GeneratedImage } from '../../fixtures/images/generate.js';
import { measure, measureSteps, type Measured } from './proc.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/**
 * Which form of airlift runs (`--form`): the compiled `dist/` a checkout runs after `npm ci` (the
 * default; `dist/cmd/airlift.cjs`, the file package.json's "bin" names, which `airlift` runs), or a release form built by `npm run release` (README: `release/airlift.mjs`, one
 * bundled file for Node >= 20; `release/airlift-linux-x64`, the single executable with V8's code
 * cache). The forms run the same code; they differ in start-up (modules to load and compile).
 */
export type Form = 'dist' | 'mjs' | 'exe';
export const FORM_FILES: Record<Form, string> = {
  dist: path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.cjs'),
  mjs: path.join(REPO_ROOT, 'release', 'airlift.mjs'),
  exe: path.join(REPO_ROOT, 'release', 'airlift-linux-x64'),
};
let form: Form = 'dist';
/** The file of the form that runs (a live binding: `useForm` changes it). */
export let AIRLIFT = FORM_FILES.dist;
export function useForm(f: Form): void {
  form = f;
  AIRLIFT = FORM_FILES[f];
}
export function airliftForm(): Form {
  return form;
}
/** The command and arguments that run airlift with `args` (node flags only where node is the command). */
export function airliftCommand(t: Tools, args: string[]): [string, string[]] {
  return form === 'exe' ? [AIRLIFT, args] : [process.execPath, [...t.nodeFlags, AIRLIFT, ...args]];
}

export interface Tools {
  /** Scratch directory of this run (auth file, YAML, bundles). */
  work: string;
  /** Extra node flags for airlift (e.g. --cpu-prof). */
  nodeFlags: string[];
  /** Extra environment for airlift. */
  env: Record<string, string>;
}

const ref = (host: string, img: GeneratedImage): string => `${host}/${img.name}:${img.tag}`;

function airlift(t: Tools, hosts: string[], args: string[]): Promise<Measured> {
  const globals = hosts.flatMap((h) => ['--plain-http', h]);
  return measure(...airliftCommand(t, [...globals, ...args]), { cwd: t.work, env: t.env });
}

export function airliftSync(t: Tools, src: string, images: GeneratedImage[], dest: string, prefix: string, extra: string[] = []): Promise<Measured> {
  return airlift(t, [src, dest], ['sync', ...extra, ...images.flatMap((i) => ['--image', ref(src, i)]), '--to', `${dest}/${prefix}`]);
}

export function airliftSave(t: Tools, src: string, images: GeneratedImage[], bundle: string, extra: string[] = []): Promise<Measured> {
  return airlift(t, [src], ['save', ...extra, ...images.flatMap((i) => ['--image', ref(src, i)]), '-o', bundle]);
}

export function airliftLoad(t: Tools, bundle: string, dest: string, prefix: string): Promise<Measured> {
  return airlift(t, [dest], ['load', bundle, '--to', `${dest}/${prefix}`]);
}

// ---- skopeo ------------------------------------------------------------------

let authFile: string | undefined;
function skopeoEnv(t: Tools): Record<string, string> {
  if (!authFile) {
    authFile = path.join(t.work, 'skopeo-auth.json');
    writeFileSync(authFile, '{"auths":{}}\n');
  }
  return { HOME: t.work, REGISTRY_AUTH_FILE: authFile };
}

function skopeo(t: Tools, args: string[]): Promise<Measured> {
  return measure(skopeoBinary(), ['--insecure-policy', ...args], { cwd: t.work, env: skopeoEnv(t) });
}

/** `skopeo sync --src yaml` of every image in one process (the YAML file is written before timing starts). */
export async function skopeoSyncPrepare(t: Tools, src: string, images: GeneratedImage[], name: string): Promise<string> {
  const lines = [`${src}:`, '  tls-verify: false', '  images:'];
  const byRepo = new Map<string, string[]>();
  for (const i of images) byRepo.set(i.name, [...(byRepo.get(i.name) ?? []), i.tag]);
  for (const [repo, tags] of byRepo) lines.push(`    ${repo}:`, ...tags.map((tag) => `      - ${JSON.stringify(tag)}`));
  const file = path.join(t.work, `skopeo-sync-${name}.yaml`);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

export function skopeoSync(t: Tools, yamlFile: string, dest: string, prefix: string): Promise<Measured> {
  return skopeo(t, ['sync', '--src', 'yaml', '--dest', 'docker', '--all', '--preserve-digests', '--dest-tls-verify=false', yamlFile, `${dest}/${prefix}`]);
}

/** `skopeo copy --all` of each image into one OCI directory, then `tar cf`. */
export function skopeoSave(t: Tools, src: string, images: GeneratedImage[], ociDir: string, tarFile: string): Promise<Measured> {
  return measureSteps([
    ...images.map((i) => () => skopeo(t, ['copy', '--all', '--quiet', '--src-tls-verify=false', `docker://${ref(src, i)}`, `oci:${ociDir}:${i.name}:${i.tag}`])),
    () => measure('tar', ['cf', tarFile, '-C', ociDir, '.']),
  ]);
}
