/**
 * Images outside values (pure): literal `image:` lines in templates and the
 * image annotations of Chart.yaml.
 */
import { makeFinding } from './assemble.js';
import { TextCache } from './text-cache.js';
import { parseYaml, isMap } from './yaml.js';
import type { ImageFinding } from './types.js';

/**
 * `image: busybox`, `- image: "quay.io/x:1"`: a literal value on one line.
 * Lines built with `{{ }}` are the values' business and are skipped.
 */
const LITERAL_IMAGE = /^\s*(?:-\s+)?image:\s*(["']?)([A-Za-z0-9][^\s"'{}#]*)\1\s*(?:#.*)?$/;

/**
 * The lines of `text` (split as `text.split(/\r?\n/)` splits) that contain `needle`, in order:
 * only those can hold a literal image, and a chart's templates are megabytes of other lines.
 */
function* linesWith(text: string, needle: string): Generator<string> {
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return;
    const start = text.lastIndexOf('\n', at) + 1;
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl;
    yield nl >= 0 && text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    if (nl < 0) return;
    from = nl + 1;
  }
}

/**
 * What the scan asks of a template's text, kept by the text (a pure function of it): every copy of
 * a chart has the same templates, decoded once into the same strings (`decodeFile`), so a copy
 * finds them by pointer. Each fact is found when first asked for.
 */
interface TemplateFacts {
  literals?: string[];
  runsContainers?: boolean;
  namesImages?: boolean;
}
const facts = new TextCache<TemplateFacts>(8 * 1024 * 1024, 4 * 1024 * 1024);

function factsOf(text: string): TemplateFacts {
  let f = facts.get(text);
  if (f === undefined) facts.set(text, (f = {}));
  return f;
}

/** The literal images of a template's text, each once, in order. */
function literalImages(text: string): string[] {
  const f = factsOf(text);
  if (f.literals) return f.literals;
  const seen = new Set<string>();
  for (const line of linesWith(text, 'image:')) {
    if (line.includes('{{')) continue;
    const m = LITERAL_IMAGE.exec(line);
    if (m) seen.add(m[2]!);
  }
  return (f.literals = [...seen]);
}

/** Whether a template writes a container list (a line `containers:` or `initContainers:`). */
export function templateRunsContainers(text: string): boolean {
  const f = factsOf(text);
  return (f.runsContainers ??= /^\s*(containers|initContainers):/m.test(text));
}

/** Whether a template writes a container list or an image field (`image:`, `- image:`, `…Image:`). */
export function templateNamesImages(text: string): boolean {
  const f = factsOf(text);
  return (f.namesImages ??= /^\s*(-\s+)?(containers|initContainers|image|\w+Image):/m.test(text));
}

export function scanTemplateText(text: string, ctx: { chart: string; file: string; disabled?: boolean }): ImageFinding[] {
  const out: ImageFinding[] = [];
  for (const raw of literalImages(text)) {
    out.push(
      makeFinding(raw, {
        kind: 'template',
        chart: ctx.chart,
        file: ctx.file,
        path: [],
        layout: { type: 'none' },
        ...(ctx.disabled ? { disabled: true } : {}),
      }),
    );
  }
  return out;
}

/** The annotation keys charts list their images under, all `[{name, image}]` YAML lists. */
export const IMAGE_ANNOTATIONS = ['artifacthub.io/images', 'images', 'helm.sh/images'] as const;

export function scanAnnotations(
  metadata: Record<string, unknown>,
  ctx: { chart: string; file: string; disabled?: boolean },
): ImageFinding[] {
  const ann = metadata.annotations;
  if (!isMap(ann)) return [];
  const out: ImageFinding[] = [];
  for (const key of IMAGE_ANNOTATIONS) {
    const v = ann[key];
    if (v === undefined || v === null) continue;
    const where = `${ctx.file} annotation ${key}`;
    let list: unknown;
    try {
      list = typeof v === 'string' ? parseYaml(v, where) : v;
    } catch (err) {
      out.push(
        makeFinding('', { kind: 'annotation', chart: ctx.chart, file: ctx.file, path: [], layout: { type: 'none' } }, {
          error: `annotation ${key} is not valid YAML: ${err instanceof Error ? err.message : String(err)}`,
        }),
      );
      continue;
    }
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const image = isMap(entry) ? entry.image : typeof entry === 'string' ? entry : undefined;
      if (typeof image !== 'string' || image === '') continue;
      out.push(
        makeFinding(image.trim(), {
          kind: 'annotation',
          chart: ctx.chart,
          file: `${ctx.file}#${key}`,
          path: [],
          layout: { type: 'none' },
          ...(ctx.disabled ? { disabled: true } : {}),
        }),
      );
    }
  }
  return out;
}
