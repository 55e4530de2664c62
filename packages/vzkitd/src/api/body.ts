/**
 * Request bodies as vzctl command lines: each key is a flag of the verb without its
 * dashes (`{"hostname": "web1"}` is `--hostname=web1`), so the API takes exactly what
 * vzctl takes, checked by the same code. An array repeats a repeatable flag (`ipadd`),
 * `true` gives a switch, `false` or null leaves it out; for a flag with an argument
 * true/false are `yes`/`no`. `-` and `_` are the same in a key (`skip_umount`).
 */
import { vzError } from '@vzkit/core';
import type { FlagSpec } from '@vzkit/cli';

export type Body = Record<string, unknown>;

/** Body keys that are not flags: the VE (`ctid`), secrets for stdin, `wait`. */
export const NOT_FLAGS = new Set(['ctid', 'stdin', 'wait']);

function norm(name: string): string {
  return name.replace(/_/g, '-');
}

function text(v: unknown, flag: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  throw vzError('BAD_VALUE', `invalid value for ${flag}: ${JSON.stringify(v)} (a string, number or boolean)`);
}

/** The flags of `specs` that `body` gives, as command-line arguments. */
export function argvFromBody(body: Body, specs: readonly FlagSpec[], extra: ReadonlySet<string> = NOT_FLAGS): string[] {
  const byName = new Map(specs.map((s) => [norm(s.name), s]));
  const argv: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (extra.has(key) || value === undefined || value === null || value === false) continue;
    const spec = byName.get(norm(key));
    if (!spec) {
      throw vzError('BAD_PARAM', `unknown parameter '${key}'`, { hint: 'the body takes the command\'s flags without dashes; see GET /v1/openapi.json' });
    }
    const flag = `--${spec.name}`;
    if (spec.arg === undefined) {
      if (value !== true) throw vzError('BAD_VALUE', `invalid value for ${key}: ${flag} is a switch (true or false)`);
      argv.push(flag);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 1 && !spec.repeatable) throw vzError('BAD_VALUE', `invalid value for ${key}: ${flag} takes one value`);
    for (const v of values) argv.push(`${flag}=${text(v, flag)}`);
  }
  return argv;
}
