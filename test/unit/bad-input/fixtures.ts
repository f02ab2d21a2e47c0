/** Temporary charts, values files and directories for the bad-input tests. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Scratch {
  dir: string;
  /** Writes `text` to `rel` inside the scratch directory and returns its absolute path. */
  file(rel: string, text: string | Buffer): Promise<string>;
  /** A minimal chart directory `name` whose values.yaml is `values`. */
  chart(name: string, values: string, chartYaml?: string): Promise<string>;
  /** Every path under the scratch directory, relative, sorted. */
  tree(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function scratch(prefix = 'airlift-bad-input-'): Promise<Scratch> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const file = async (rel: string, text: string | Buffer): Promise<string> => {
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, text);
    return p;
  };
  return {
    dir,
    file,
    async chart(name, values, chartYaml): Promise<string> {
      await file(`${name}/Chart.yaml`, chartYaml ?? `apiVersion: v2\nname: ${name}\nversion: 0.1.0\nappVersion: "1.0"\n`);
      await file(`${name}/values.yaml`, values);
      await mkdir(path.join(dir, name, 'templates'), { recursive: true });
      return path.join(dir, name);
    },
    async tree(): Promise<string[]> {
      const out: string[] = [];
      const walk = async (rel: string): Promise<void> => {
        for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
          const p = rel ? `${rel}/${e.name}` : e.name;
          out.push(p);
          if (e.isDirectory()) await walk(p);
        }
      };
      await walk('');
      return out.sort();
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A YAML "billion laughs": 10 levels of 9 aliases each (9^10 nodes if expanded). */
export function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(97 + i - 1);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return lines.join('\n') + '\n';
}

/** Malformed image references, each with why it is wrong. */
export const MALFORMED_REFERENCES: Array<[string, string]> = [
  ['', 'empty'],
  ['Nginx', 'uppercase repository'],
  ['nginx:', 'empty tag'],
  ['nginx:bad tag', 'whitespace'],
  ['nginx:-leading-dash', 'tag starting with a dash'],
  [`nginx:${'t'.repeat(129)}`, 'tag over 128 characters'],
  ['nginx@sha256:1234', 'short digest'],
  [`nginx@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
  [`nginx@sha256:${'A'.repeat(64)}`, 'uppercase digest hex'],
  ['docker.io//nginx', 'empty path component'],
  ['nginx/', 'trailing slash'],
  ['-nginx', 'leading separator'],
  ['nginx..x', 'doubled separator'],
  ['registry:99999/app:1', 'port out of range'],
  ['reg_istry.io/app:1', 'underscore in host'],
  ['https://quay.io/org/app:1', 'URL scheme'],
  ['a@b@c', 'two @'],
  [`${'a'.repeat(64)}`.replace(/a/g, 'f'), 'bare image ID'],
  [`example.com/${'a/'.repeat(128)}b`, 'repository over 255 characters'],
  ['::1/app:1', 'unbracketed IPv6 host'],
];
