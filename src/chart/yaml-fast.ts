/**
 * The fast path of chart YAML parsing: js-yaml (about 10x faster than the yaml package on values
 * files) with a schema built here to give exactly what the yaml package's YAML 1.2 core schema
 * gives with `merge: true, uniqueKeys: false`. Whatever this path cannot prove equal it declines
 * (returns undefined) and the caller parses with the yaml package, which keeps its error messages
 * and code frames: any js-yaml error, any explicit tag (`!!binary`, `!!set`, `!custom`, ...), any
 * directive (`%YAML 1.1` changes the schema), a null or collection map key, a merge key whose
 * sources are not plain maps, more than SAFE_ALIASES aliases in one document (so the yaml
 * package's alias budget decides every document that could reach it), nesting deeper than 100.
 */
import { createRequire } from 'node:module';
import type * as JsYaml from 'js-yaml';
import type { Event } from 'js-yaml';

let lib: typeof JsYaml | undefined;
/**
 * js-yaml, loaded on first use (its CommonJS build, so a synchronous caller can): a sync, load or
 * copy run that parses no YAML (registries.yaml absent, no --config, no Secret) does not compile
 * its 130 KB nor build the schema below (about 10 ms of start-up).
 */
export function jsYaml(): typeof JsYaml {
  return (lib ??= createRequire(import.meta.url)('js-yaml') as typeof JsYaml);
}

/**
 * At most this many aliases in one document cannot reach the yaml package's alias budget, so the
 * yaml package decides every document that could. It throws when an anchor's uses times the
 * alias count under it passes MAX_ALIAS_COUNT; measured against yaml 2.9.1, c uses of an anchor
 * weigh c + 1 times what is under it, so N aliases build at most 2^N (a chain of single uses:
 * `b: &b [*a]`, `c: &c [*b]`, ...): 2^13 = 8,192 fits in 10,000, 2^14 = 16,384 does not.
 * yaml-fast.test.ts holds both ends.
 */
export const SAFE_ALIASES = 13;

// The yaml package's core schema (yaml/dist/schema/core), test by test and in its order.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** Declines a map key the yaml package would turn into something else than String(key). */
const DECLINE = 'declined';

let built: JsYaml.Schema | undefined;
/** The schema, built on first use from js-yaml's own pieces (see jsYaml). */
function fastSchema(): JsYaml.Schema {
  if (built) return built;
  const y = jsYaml();
  const { FAILSAFE_SCHEMA, Schema, defineMappingTag, defineScalarTag, mergeTag } = y;
  const nullTag = defineScalarTag<null>('tag:yaml.org,2002:null', {
    implicit: true,
    implicitFirstChars: ['', '~', 'n', 'N'],
    resolve: (s) => (NULL.test(s) ? null : y.NOT_RESOLVED),
    identify: (v) => v === null,
  });
  const boolTag = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
    implicit: true,
    implicitFirstChars: ['t', 'T', 'f', 'F'],
    resolve: (s) => (BOOL.test(s) ? s[0] === 't' || s[0] === 'T' : y.NOT_RESOLVED),
    identify: (v) => typeof v === 'boolean',
  });
  const intTag = defineScalarTag<number>('tag:yaml.org,2002:int', {
    implicit: true,
    implicitFirstChars: ['-', '+', ...'0123456789'],
    resolve: (s) => {
      if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
      if (INT.test(s)) return parseInt(s, 10);
      if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
      return y.NOT_RESOLVED;
    },
    identify: (v) => Number.isInteger(v),
  });
  const floatTag = defineScalarTag<number>('tag:yaml.org,2002:float', {
    implicit: true,
    implicitFirstChars: ['-', '+', '.', ...'0123456789'],
    resolve: (s) => {
      if (FLOAT_NAN.test(s)) {
        return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity;
      }
      if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
      return y.NOT_RESOLVED;
    },
    identify: (v) => typeof v === 'number',
  });

  /**
   * Plain objects as the yaml package builds them: a scalar key becomes String(key), a later
   * duplicate replaces the value in the first one's place, `__proto__` is an own property. A null
   * key ('' there, 'null' through a merge) and a collection key (stringified as YAML) are declined.
   */
  const mapTag = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
    create: () => ({}),
    identify: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    addPair: (map, key, value) => {
      if (key === null || typeof key === 'object') return DECLINE;
      const k = String(key);
      if (k === '__proto__') {
        Object.defineProperty(map, k, { value, writable: true, enumerable: true, configurable: true });
      } else {
        map[k] = value;
      }
      return '';
    },
    has: (map, key) => key !== null && typeof key !== 'object' && Object.prototype.hasOwnProperty.call(map, String(key)),
    keys: (map) => Object.keys(map),
    get: (map, key) => map[String(key)],
  });

  built = new Schema([...FAILSAFE_SCHEMA.tags.filter((t) => t.nodeKind !== 'mapping'), mapTag, nullTag, boolTag, intTag, floatTag, mergeTag]);
  return built;
}

/** Whether the event stream uses only what this path reproduces (no tag, no directive). */
function plainEvents(events: Event[]): boolean {
  for (const e of events) {
    if (e.type === 1) {
      if (e.directives.length > 0) return false;
    } else if (e.type === 2 || e.type === 3 || e.type === 4) {
      if (e.tagStart !== -1) return false;
    }
  }
  return true;
}

/**
 * The documents of `text` as the yaml package gives them (empty ones included, as null or
 * undefined), or undefined when this path cannot vouch for the result.
 */
export function fastParseAll(text: string): unknown[] | undefined {
  // outside the try: a js-yaml that cannot load is an error, not a silent decline
  const { parseEvents, constructFromEvents } = jsYaml();
  const schema = fastSchema();
  try {
    const events = parseEvents(text, { maxDepth: 100 });
    if (!plainEvents(events)) return undefined;
    return constructFromEvents(events, { source: text, schema, json: true, maxAliases: SAFE_ALIASES });
  } catch {
    return undefined;
  }
}
