/**
 * airlift's template engine against helm's, on snippets of the constructs
 * charts use: each snippet is a template of one throw-away chart, rendered by
 * the pinned helm (`helm template`) and by airlift (src/chart/render.ts), and
 * the two outputs must be the same text.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadChart } from '../../../src/chart/load.js';
import { renderCharts } from '../../../src/chart/render.js';
import { helmTemplate } from './helm-images.js';

const SNIPPETS: Record<string, string> = {
  trim: 'a  {{- "b" -}}  c\n  {{ "d" }}  {{- /* a comment */ -}}  e',
  variables: '{{- $x := "outer" }}{{ if true }}{{ $x = "assigned" }}{{ $y := "inner" }}{{ $y }}{{ end }} {{ $x }}',
  rangeList: '{{- range $i, $v := list "a" "b" "c" }}{{ $i }}={{ $v }};{{ end }}',
  rangeMap: '{{- range $k, $v := dict "b" 2 "a" 1 "c" 3 }}{{ $k }}:{{ $v }},{{ end }}',
  rangeElse: '{{- range list }}x{{ else }}empty{{ end }}',
  rangeBreak: '{{- range $i := list 1 2 3 4 }}{{ if eq $i 2 }}{{ continue }}{{ end }}{{ if eq $i 4 }}{{ break }}{{ end }}{{ $i }}{{ end }}',
  rangeDot: '{{- range .Values.items }}[{{ .name }}]{{ end }}',
  withElse: '{{- with .Values.missing }}has{{ else with .Values.image }}{{ .repository }}{{ else }}none{{ end }}',
  elseIf: '{{- if eq (int .Values.num) 1 }}one{{ else if eq .Values.num 2.0 }}two{{ else }}other{{ end }}',
  printf: '{{ printf "%s-%d-%v-%q-%t-%5s|%-4s|%03d" "a" 7 "v" "q" true "r" "l" 5 }}',
  printfV: '{{ printf "v%s" .Chart.AppVersion }} {{ printf "org/app:v%s" .Values.version }}',
  defaults: '{{ default "d" "" }} {{ default "d" 0 }} {{ default "d" false }} {{ default "d" (list) }} {{ default "d" "x" }} {{ .Values.image.tag | default .Chart.AppVersion }}',
  empty: '{{ empty "" }} {{ empty 0 }} {{ empty (dict) }} {{ empty "a" }} {{ empty .Values.missing }}',
  coalesceTernary: '{{ coalesce "" .Values.missing "c" }} {{ ternary "yes" "no" true }} {{ ternary "yes" "no" (eq 1 2) }}',
  include: '{{ include "snip.helper" (dict "name" "n") | nindent 2 }}',
  templateAction: '{{ template "snip.t" "x" }}',
  tpl: '{{ tpl "{{ .Values.image.repository }}:{{ .Values.image.tag }}" . }}',
  toYaml: '{{ toYaml .Values.image }}\n{{ toYaml .Values.items | indent 2 }}',
  quote: '{{ quote "a" }} {{ squote "b" }} {{ .Values.version | quote }} {{ cat "a" "b" }}',
  strings: '{{ trunc 5 "abcdefgh" }} {{ trimSuffix "-" "abc-" }} {{ trimPrefix "v" "v1.2" }} {{ trim "  x " }} {{ upper "a" }} {{ lower "B" }} {{ title "hello world" }} {{ replace "." "-" "a.b.c" }} {{ repeat 3 "z" }} {{ substr 1 3 "abcd" }}',
  predicates: '{{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "c" "abc" }} {{ regexMatch "^v[0-9]" "v1" }}',
  regex: '{{ regexReplaceAll "v([0-9]+)" "v12-v3" "n${1}" }} {{ regexFind "[0-9]+" "ab123c" }}',
  split: '{{ $p := split ":" "repo:tag" }}{{ $p._0 }} {{ $p._1 }} {{ splitList "," "a,b" | join "+" }}',
  index: '{{ index .Values.versionMap .Values.version }} {{ index .Values.items 1 "name" }} {{ index (list "x" "y") 0 }}',
  dicts: '{{ $d := dict "a" 1 "b" (dict "c" 2) }}{{ hasKey $d "a" }} {{ $d.b.c }} {{ keys $d | sortAlpha | join "," }} {{ get $d "a" }} {{ (merge (dict "a" 9 "z" 1) $d).a }} {{ (mergeOverwrite (dict "a" 9) (dict "a" 7)).a }}',
  lists: '{{ first (list 1 2 3) }} {{ last (list 1 2 3) }} {{ rest (list 1 2 3) }} {{ uniq (list 1 1 2) }} {{ has 2 (list 1 2) }} {{ append (list 1) 2 }} {{ len (list 1 2 3) }} {{ concat (list 1) (list 2 3) }}',
  compare: '{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge 2 2 }} {{ gt "b" "a" }} {{ and 1 0 }} {{ or 0 "" "x" }} {{ not false }}',
  numbers: '{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 3 }} {{ max 1 5 3 }} {{ min 4 2 }} {{ int "42" }} {{ .Values.num | int }} {{ .Values.big }} {{ add1 1 }}',
  kinds: '{{ kindIs "float64" .Values.num }} {{ kindIs "int" .Values.num }} {{ typeOf .Values.num }} {{ kindIs "map" .Values.image }} {{ kindIs "slice" .Values.items }} {{ kindIs "string" "s" }} {{ typeOf "s" }} {{ typeOf .Values.items }} {{ kindOf true }} {{ typeIs "string" .Values.version }}',
  semver: '{{ semverCompare ">=1.21-0" .Capabilities.KubeVersion.GitVersion }} {{ semverCompare "<1.25" "1.24.3" }} {{ semverCompare "^1.2.0" "1.9.0" }} {{ semverCompare "~1.2.0" "1.3.0" }} {{ semverCompare ">=1.0.0 <2.0.0" "1.5.0" }} {{ semverCompare "1.x" "1.4.0" }} {{ semverCompare ">=1.0.0" "1.1.0-rc1" }} {{ semverCompare "<=1.2 || >=3" "3.1.0" }}',
  // fromYaml keeps parsed texts: a result changed by set must not show in the next parse of the same text
  fromYamlTwice: '{{ $a := fromYaml "k: v\\nl: [1]" }}{{ $_ := set $a "k" "changed" }}{{ $b := fromYaml "k: v\\nl: [1]" }}{{ $a.k }} {{ $b.k }} {{ $b.l }}',
  encodings: '{{ b64enc "hello" }} {{ b64dec "aGk=" }} {{ sha256sum "x" | trunc 12 }} {{ toJson .Values.image }} {{ (fromYaml "a: 1\\nb: [x]").b }}',
  builtins: '{{ .Chart.Name }} {{ .Chart.Version }} {{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Service }} {{ .Template.BasePath }} {{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "policy/v1beta1/PodSecurityPolicy" }}',
  keywordField: '{{- with.Values.image }}{{ .tag }}{{ end }}',
  parens: '{{ (printf "%s/%s" "a" "b") }} {{ (dict "k" "v").k }} {{ (index .Values.items 0).name | upper }}',
  missing: '[{{ .Values.missing }}] [{{ .Values.image.nope }}] [{{ index .Values.versionMap "nope" }}]',
  required: '{{ required "needed" .Values.version }}',
  print: '{{ print "a" 1 2 "b" }} {{ print 1 2 }} {{ println "x" }}',
};

const VALUES = `image:
  repository: example/app
  tag: "1.2.3"
items:
  - name: first
  - name: second
version: "2.4.0"
versionMap:
  "2.4.0": example/mapped:2.4.0-r1
# "n" would be the boolean false as a key in helm's YAML 1.1.
num: 2
big: 100000
`;

const tmp = mkdtempSync(path.join(tmpdir(), 'airlift-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makeChart(): string {
  const dir = path.join(tmp, 'snip');
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: snip\nversion: 0.3.0\nappVersion: "1.30.2"\n');
  writeFileSync(path.join(dir, 'values.yaml'), VALUES);
  writeFileSync(path.join(dir, 'templates', '_defs.tpl'), '{{- define "snip.helper" }}name={{ .name }}{{ end }}\n{{- define "snip.t" }}T{{ . }}{{ end }}\n');
  for (const [name, text] of Object.entries(SNIPPETS)) {
    // A block scalar holds any text, so that helm (which parses what it renders) accepts every snippet.
    writeFileSync(path.join(dir, 'templates', `_${name}.tpl`), `{{- define "snippet.${name}" -}}\n${text}\n{{- end -}}\n`);
    writeFileSync(path.join(dir, 'templates', `${name}.yaml`), `out: |2\n{{ include "snippet.${name}" . | indent 2 }}\n`);
  }
  return dir;
}

describe('template engine, judged by helm', () => {
  it('renders every snippet as helm does', async () => {
    const dir = makeChart();
    const helmOut = helmTemplate(dir);
    const helm = new Map<string, string>();
    for (const part of helmOut.split(/^---\n# Source: /m).slice(1)) {
      const nl = part.indexOf('\n');
      helm.set(part.slice(0, nl).replace(/^snip\//, ''), part.slice(nl + 1).trim());
    }
    const chart = await loadChart(dir);
    const files = renderCharts([{ chart, values: chart.values, chain: 'snip', tplPrefix: 'snip', depth: 0 }]);
    const mismatches: string[] = [];
    for (const name of Object.keys(SNIPPETS)) {
      const f = files.find((x) => x.template === `templates/${name}.yaml`)!;
      const want = helm.get(`templates/${name}.yaml`);
      const got = f.error !== undefined ? `ERROR ${f.error}` : (f.text ?? '').trim();
      if (got !== want) mismatches.push(`${name}:\n  helm:    ${JSON.stringify(want)}\n  airlift: ${JSON.stringify(got)}`);
    }
    expect(mismatches.join('\n')).toBe('');
    expect(helm.size).toBe(Object.keys(SNIPPETS).length);
  });
});
