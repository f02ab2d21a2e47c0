/**
 * Hints airlift ships for charts whose templates build image references in
 * ways values cannot show (read from each chart's templates; evaluated
 * against the merged values like a --hints file, so overrides still apply).
 * An entry applies when the chart's name matches and `match` recognises its
 * values layout. `replaces` lists values paths whose generic finding is wrong
 * for that chart and is dropped in favour of the hints. Off with
 * `builtinHints: false` (`--no-builtin-hints`).
 */
import { isMap } from './yaml.js';
import type { Values } from './values.js';
import type { ValuesPath } from './types.js';

export interface KnownChart {
  name: string;
  /** Why the entry exists: which template does what. */
  note: string;
  match(values: Values): boolean;
  hints: string[];
  replaces?: ValuesPath[];
}

const has = (v: unknown, ...keys: string[]): boolean => {
  let cur = v;
  for (const k of keys) {
    if (!isMap(cur) || !(k in cur)) return false;
    cur = cur[k];
  }
  return true;
};

export const KNOWN_CHARTS: KnownChart[] = [
  {
    name: 'sonarqube',
    note:
      'SonarSource chart: the image tag is `<community.buildNumber>-community` when community.enabled, else `<appVersion>-<edition>` ' +
      'for the developer or enterprise edition (an explicit image.tag wins); the plain appVersion tag is never used.',
    match: (v) => has(v, 'image', 'repository') && has(v, 'community', 'buildNumber'),
    hints: [
      '{{ .image.repository }}:{{ .image.tag | default (printf "%s-community" .community.buildNumber) }}',
      '{{ .image.repository }}:{{ .image.tag | default (printf "%s-developer" .Chart.AppVersion) }}',
      '{{ .image.repository }}:{{ .image.tag | default (printf "%s-enterprise" .Chart.AppVersion) }}',
    ],
    replaces: [['image']],
  },
  {
    name: 'traefik',
    note: 'Traefik chart: null image.registry/repository/tag default in the template to docker.io, traefik and appVersion.',
    match: (v) => has(v, 'image', 'repository') && has(v, 'image', 'registry'),
    hints: [
      '{{ .image.registry | default "docker.io" }}/{{ .image.repository | default "traefik" }}:{{ .image.tag | default .Chart.AppVersion }}',
    ],
    replaces: [['image']],
  },
];
