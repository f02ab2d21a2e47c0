/** YAML parsing for chart inputs: bounded alias expansion, errors that name the file. */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import { InputError, TooLargeError } from '../errors.js';
import { TextCache } from './text-cache.js';
import { fastParseAll } from './yaml-fast.js';

let lib: typeof YamlLib | undefined;
/**
 * The yaml package, loaded on first use: it is ~70 files and ~40 ms of start-up that a sync,
 * load or copy run reading no YAML file should not pay. (For Node both `import` and `require`
 * of yaml resolve to the same CommonJS build, so this shares the instance static imports load.)
 */
export function yamlLib(): typeof YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}

/** An alias-expansion budget far above what real charts use, far below what a YAML bomb needs. */
export const MAX_ALIAS_COUNT = 10_000;

const OPTIONS = { maxAliasCount: MAX_ALIAS_COUNT, merge: true, uniqueKeys: false } as const;

/**
 * The line `line` (1-based) of `text` and a caret under column `col`, as compilers show them. Tabs
 * before the column are kept so the caret lines up; a long line is cut around the column.
 */
export function codeFrame(text: string, line: number, col: number): string {
  const src = text.split(/\r?\n/)[line - 1];
  if (src === undefined) return '';
  let start = 0;
  let shown = src;
  if (src.length > 120) {
    start = Math.max(0, Math.min(col - 60, src.length - 120));
    shown = `${start > 0 ? '…' : ''}${src.slice(start, start + 120)}${start + 120 < src.length ? '…' : ''}`;
  }
  const before = src.slice(start, Math.max(start, col - 1)).replace(/[^\t]/g, ' ');
  const gutter = String(line);
  return `  ${gutter} | ${shown}\n  ${' '.repeat(gutter.length)} | ${start > 0 ? ' ' : ''}${before}^`;
}

function wrap(err: unknown, file: string, text?: string): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (/alias/i.test(msg) && /count|excessive|resource/i.test(msg)) {
    return new TooLargeError(`${file}: YAML alias expansion exceeds ${MAX_ALIAS_COUNT} nodes`, {
      cause: err,
      hint: 'the file expands aliases too many times (a "billion laughs" document?); remove the aliases',
    });
  }
  const pos = (err as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
  const reason = msg.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (pos && text !== undefined) {
    const frame = codeFrame(text, pos.line, pos.col);
    return new InputError(`${file}: invalid YAML at line ${pos.line}, column ${pos.col}: ${reason}${frame ? `\n${frame}` : ''}`, {
      cause: err,
      hint: `fix the YAML at line ${pos.line} of ${file} (check indentation and quoting) and run again`,
    });
  }
  return new InputError(`${file}: invalid YAML: ${msg.split('\n')[0]}`, {
    cause: err,
    hint: 'fix the YAML syntax (check indentation and quoting) and run again',
  });
}

/**
 * Parsed texts, kept by content: a chart's values.yaml, Chart.yaml and rendered documents are
 * the same text in every copy of a chart and in every subchart vendored twice, and the yaml
 * package parses about 1 MB/s. Parsing is a pure function of the text (the file name only goes
 * into errors, which are not kept), and each caller gets its own copy (structuredClone keeps
 * what YAML aliases share), so a caller that changes its values changes only its copy.
 */
const parsedDocs = new TextCache<unknown>(8 * 1024 * 1024, 1024 * 1024);
const parsedStreams = new TextCache<unknown[]>(8 * 1024 * 1024, 1024 * 1024);

/**
 * `v` and everything in it frozen (the parse cache's values, which callers of `parseYamlShared`
 * share). A typed array (`!!binary`) cannot be frozen and is left as it is.
 */
function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || ArrayBuffer.isView(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

function parseOne(text: string, file: string): unknown {
  const fast = fastParseAll(text);
  return fast !== undefined && fast.length <= 1 ? (fast[0] ?? null) : slowParse(text, file);
}

/** Parses one YAML document. Empty input gives null. */
export function parseYaml(text: string, file: string): unknown {
  const hit = parsedDocs.get(text);
  if (hit !== undefined) return structuredClone(hit);
  const v = parseOne(text, file);
  const kept = structuredClone(v);
  deepFreeze(kept);
  parsedDocs.set(text, kept);
  return v;
}

/**
 * `parseYaml`'s value, frozen and shared with every other caller of this function for the same
 * text (no copy: a chart's values.yaml and Chart.yaml, which the scan only reads, are the same
 * text in every copy of a chart; copying kyverno's values for each copy was most of what a copy's
 * load cost). A caller that has to change the value changes a copy (`structuredClone`); changing
 * the value itself throws (strict mode).
 */
export function parseYamlShared(text: string, file: string): unknown {
  const hit = parsedDocs.get(text);
  if (hit !== undefined) return hit;
  const v = parseOne(text, file);
  deepFreeze(v);
  parsedDocs.set(text, v);
  return v;
}

/** One document by the yaml package alone (what parseYaml gives where the fast path declines). */
export function slowParse(text: string, file: string): unknown {
  try {
    return yamlLib().parse(text, OPTIONS) ?? null;
  } catch (err) {
    throw wrap(err, file, text);
  }
}

/** Parses a YAML document that must be a map (values files, Chart.yaml). Empty input gives {}; `shared`: `parseYamlShared`'s frozen value. */
export function parseYamlMap(text: string, file: string, what = 'a values file', shared = false): Record<string, unknown> {
  const v = shared ? parseYamlShared(text, file) : parseYaml(text, file);
  if (v === null || v === undefined) return {};
  if (!isMap(v)) {
    throw new InputError(`${file}: ${what} must be a YAML map, found ${Array.isArray(v) ? 'a list' : typeof v}`, {
      hint: 'the top level of the file must be key: value pairs',
    });
  }
  return v;
}

/** Parses a multi-document YAML stream (rendered manifests). Empty documents are skipped. */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  const hit = parsedStreams.get(text);
  if (hit !== undefined) return structuredClone(hit);
  const fast = fastParseAll(text);
  const out = fast !== undefined ? fast.filter((v) => v !== null && v !== undefined) : slowParseDocuments(text, file);
  parsedStreams.set(text, structuredClone(out));
  return out;
}

/** A stream by the yaml package alone (what parseYamlDocuments gives where the fast path declines). */
export function slowParseDocuments(text: string, file: string): unknown[] {
  let docs;
  try {
    docs = yamlLib().parseAllDocuments(text, OPTIONS);
  } catch (err) {
    throw wrap(err, file);
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const [i, d] of list.entries()) {
    if (d.errors.length > 0) {
      const first = d.errors[0]!;
      throw first.linePos ? wrap(first, file, text) : wrap(new Error(`document ${i + 1}: ${first.message}`), file);
    }
    let v: unknown;
    try {
      v = d.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      throw wrap(err, file);
    }
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}
