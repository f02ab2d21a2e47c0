/**
 * The js-yaml fast path (yaml-fast.ts) must give exactly what the yaml package gives, or decline.
 * Judged against the yaml package itself, document by document: every YAML file of the shared
 * real charts, the corpus and the fixtures, then each construct where the two could part.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TooLargeError } from '../../../src/errors.js';
import { fastParseAll, SAFE_ALIASES } from '../../../src/chart/yaml-fast.js';
import { MAX_ALIAS_COUNT, parseYaml, parseYamlDocuments, slowParse, slowParseDocuments } from '../../../src/chart/yaml.js';
import { agree, slow, typed } from './yaml-judge.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SHARED = path.resolve(ROOT, '../shared');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

describe('js-yaml fast path: the same values as the yaml package', () => {
  it('every YAML file of the shared real charts, the corpus and the fixtures', () => {
    const files = [...yamlFiles(path.join(SHARED, 'charts-real')), ...yamlFiles(path.join(SHARED, 'corpus')), ...yamlFiles(path.join(ROOT, 'fixtures'))];
    expect(files.length).toBeGreaterThan(500);
    let taken = 0;
    let values = 0;
    const yamlNotTemplates = files.filter((f) => !f.includes('/templates/')).length;
    const declined: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // templates are not YAML until rendered; they are judged where they parse at all
      if (agree(text, f)) {
        taken++;
        if (/values\.yaml$|Chart\.yaml$/.test(f)) values++;
      } else if (!f.includes('/templates/')) {
        declined.push(path.relative(SHARED, f));
      }
    }
    // the fast path must really carry the values files, not decline its way to agreement
    expect(values).toBeGreaterThan(100);
    expect(declined.length, declined.join('\n')).toBeLessThan(yamlNotTemplates / 50);
  });

  const cases: Record<string, string> = {
    booleans: 'a: true\nb: True\nc: TRUE\nd: false\ne: False\nf: FALSE\ng: on\nh: yes\ni: Off\nj: no\nk: y\nl: tRUE\n',
    nulls: 'a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\ng: "null"\n',
    ints: 'a: 1_000\nb: 0o17\nc: 017\nd: +1\ne: -0\nf: 0x1F\ng: 0X1F\nh: -0o17\ni: 0b101\nj: 99999999999999999999\nk: -12\nl: 1:30\nm: "12"\n',
    floats: 'a: .5\nb: 1e3\nc: 1.0\nd: -.inf\ne: .Inf\nf: +.INF\ng: .nan\nh: .NaN\ni: -.nan\nj: 1e400\nk: 1.5e-3\nl: 6.\nm: 1_0.5\nn: 3.14159265358979323846\no: -0.0\np: +.5e+2\n',
    strings: "a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\nc: 'quoted: yes'\nd: \"esc \\u00e9 \\t \\x41\"\ne: 1.2.3\nf: v1\ng: <<\nh: '<<'\n",
    'multi-line scalars': 'a: |\n  line 1\n   line 2\n\nb: >\n  folded\n  text\n\n  para\nc: |-\n  strip\nd: |+\n  keep\n\ne: plain\n  continued\n  lines\nf: "double\n  quoted"\ng: >2\n   indented\n',
    'duplicate keys': 'a: 1\nb: 2\na: 3\nc: {x: 1, x: 2}\n',
    'merge precedence': 'base: &b {a: 1, b: 2}\nover: &o {b: 3, c: 4}\nm1:\n  <<: [*b, *o]\n  c: 5\nm2:\n  a: 0\n  <<: *b\nm3:\n  <<: {x: 1}\n  x: 2\nm4: {<<: {k: v}, j: w}\nm5:\n  "<<": {q: 1}\n',
    'anchors redefined': 'a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: &l [1, 2]\nf: *l\n',
    'keys of other types': '1: one\n2.5: two\ntrue: t\n0x10: hex\n.inf: inf\n__proto__: p\ntoString: s\n"": empty\n',
    flow: 'a: [1, "2", {b: c}, [d]]\nb: {x: [], y: {}}\nc: [a: 1, b: 2]\n',
    documents: '---\na: 1\n---\n---\n~\n---\n# comment\n---\n- x\n...\n---\nb: 2\n',
    'comments and blank docs': '# only a comment\n',
    'crlf and bom': '\ufeffa: 1\r\nb:\r\n  - c\r\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      expect(agree(text, name), `${name}: the fast path declined`).toBe(true);
    });
  }

  it('what it cannot vouch for it declines, and the yaml package decides', () => {
    const declined = {
      'explicit tags': 'a: !!binary aGVsbG8=\n',
      set: 'a: !!set {x, y}\n',
      omap: 'a: !!omap [{x: 1}]\n',
      custom: 'a: !mine value\n',
      'explicit str': 'a: !!str 1\n',
      directive: '%YAML 1.1\n---\na: yes\n',
      'null key': '~: a\nb: 1\n',
      'collection key': '? [a, b]\n: c\n',
      'merge of a scalar': 'a: &s 1\nb:\n  <<: *s\n',
      'unknown alias': 'a: *nope\n',
      invalid: 'a: [1\n',
      tab: 'a:\n\t- b\n',
      'too deep': `${'['.repeat(150)}${']'.repeat(150)}\n`,
      'many aliases': `a: &a x\nb: [${Array.from({ length: SAFE_ALIASES + 1 }, () => '*a').join(', ')}]\n`,
    };
    for (const [name, text] of Object.entries(declined)) {
      expect(fastParseAll(text), name).toBeUndefined();
    }
    // up to SAFE_ALIASES aliases in one document are taken, and equal
    expect(agree(`a: &a x\nb: [${Array.from({ length: SAFE_ALIASES }, () => '*a').join(', ')}]\n`, 'aliases')).toBe(true);
  });

  it('SAFE_ALIASES aliases cannot reach the alias budget: the worst case (a chain of single uses) fits, one more does not', () => {
    const chain = (n: number) => {
      let text = 'a0: &a0 x\n';
      for (let i = 1; i <= n; i++) text += `a${i}: &a${i} [*a${i - 1}]\n`;
      return text;
    };
    expect(slow(chain(SAFE_ALIASES))).not.toBe('error');
    expect(agree(chain(SAFE_ALIASES), 'chain')).toBe(true);
    expect(slow(chain(SAFE_ALIASES + 1))).toBe('error');
    expect(fastParseAll(chain(SAFE_ALIASES + 1))).toBeUndefined();
    expect(() => parseYaml(chain(SAFE_ALIASES + 1), 'chain.yaml')).toThrow(TooLargeError);
  });

  it('a YAML bomb gets the same TooLargeError as before', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (const [p, c] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]) {
      bomb += `${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]\n`;
    }
    expect(fastParseAll(bomb)).toBeUndefined();
    expect(() => parseYaml(bomb, 'bomb.yaml')).toThrow(TooLargeError);
    expect(() => parseYaml(bomb, 'bomb.yaml')).toThrow('bomb.yaml: YAML alias expansion exceeds 10000 nodes');
    expect(() => parseYamlDocuments(`x: 1\n---\n${bomb}`, 'bomb2.yaml')).toThrow(TooLargeError);
  });

  it('parseYaml and parseYamlDocuments give what the yaml package alone gives, errors included', () => {
    for (const text of [...Object.values(cases), 'a: 1\n---\nb: 2\n', '', '# c\n', 'a: [1\n', 'x: !!binary aGVsbG8=\n']) {
      const one = (f: (t: string, n: string) => unknown) => {
        try {
          return typed(f(text, 'f.yaml'));
        } catch (err) {
          return `error ${(err as Error).constructor.name}: ${(err as Error).message}`;
        }
      };
      expect(one(parseYaml), text).toBe(one(slowParse));
      expect(one(parseYamlDocuments), text).toBe(one(slowParseDocuments));
    }
  });
});
