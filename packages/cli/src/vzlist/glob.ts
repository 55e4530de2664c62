/** Shell wildcards (`*`, `?`, `[...]`) as fnmatch(3) reads them, for vzlist's -h, -N and -d. */

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (c === '[') {
      // A `]` right after `[` or `[!` belongs to the set; no closing `]` makes `[` literal.
      let j = i + 1;
      if (pattern[j] === '!' || pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      const close = pattern.indexOf(']', j);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 's');
}

export function globMatch(pattern: string, text: string): boolean {
  return globToRegExp(pattern).test(text);
}
