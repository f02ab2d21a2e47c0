/**
 * `.helmignore` (pure): which files of a chart directory stay out of the
 * packaged chart. The common subset of the format: one pattern per line,
 * blank lines and `#` comments skipped, shell globs (`*`, `?`, `[a-z]`, `\`
 * escapes; `**` across directories), a pattern without `/` matches a file or
 * directory name at any depth, a pattern with `/` matches the path from the
 * chart root (a leading `/` is allowed), a trailing `/` matches directories
 * only, and `!` re-includes what an earlier pattern left out. The last pattern
 * that matches decides (as in .gitignore); an ignored directory is left out
 * with everything in it. As `helm package` does, hidden files directly in
 * `templates/` are always left out.
 */
import { InputError } from '../errors.js';

interface Rule {
  negate: boolean;
  dirOnly: boolean;
  /** Match against the path from the root (true) or the last name only. */
  anchored: boolean;
  re: RegExp;
}

export interface HelmIgnore {
  /** Whether `rel` ("templates/x.yaml", "docs"), a file or a directory, stays out of the package. */
  ignores(rel: string, isDir: boolean): boolean;
}

function globToRegExp(glob: string, label: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches any number of directories (also none); "**" elsewhere matches anything
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new InputError(`${label}: the pattern ends with a lone backslash`, { hint: 'escape it as \\\\ or remove it' });
      out += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new InputError(`${label}: unclosed [ in the pattern`, { hint: 'close the character class with ] or escape the [ as \\[' });
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
      out += `[${body}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function parseRule(line: string, label: string): Rule | undefined {
  let rule = line.trim();
  if (rule === '' || rule.startsWith('#')) return undefined;
  let negate = false;
  if (rule.startsWith('!')) {
    negate = true;
    rule = rule.slice(1);
  }
  let dirOnly = false;
  if (rule.endsWith('/')) {
    dirOnly = true;
    rule = rule.replace(/\/+$/, '');
  }
  const anchored = rule.includes('/');
  rule = rule.replace(/^\/+/, '');
  if (rule === '') return undefined;
  return { negate, dirOnly, anchored, re: globToRegExp(rule, label) };
}

/** Parses the text of a `.helmignore` (`file` names it in errors). */
export function parseHelmIgnore(text: string, file: string): HelmIgnore {
  const rules: Rule[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const r = parseRule(line, `${file}:${i + 1}`);
    if (r) rules.push(r);
  });
  return {
    ignores(rel: string, isDir: boolean): boolean {
      if (rel === '' || rel === '.') return false;
      // helm's default rule: hidden files in templates/
      if (/^templates\/\.[^/]+$/.test(rel)) return true;
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      let ignored = false;
      for (const r of rules) {
        if (r.dirOnly && !isDir) continue;
        if (r.re.test(r.anchored ? rel : base)) ignored = !r.negate;
      }
      return ignored;
    },
  };
}

/** No `.helmignore`: only helm's default rule applies. */
export const NO_HELMIGNORE: HelmIgnore = parseHelmIgnore('', '.helmignore');
