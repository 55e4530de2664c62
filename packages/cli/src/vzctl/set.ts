/**
 * `vzctl set CTID [--save] --param value ...`: every flag of every key whose declaration
 * accepts `set`, generated from the runtime, plus the keys' edit flags (repeatable,
 * applied in order). Live keys apply to a running VE at once, the others at its next
 * start; messages follow vzctl's.
 */
import { vzError, type SetEdit } from '@vzkit/core';
import { hasFlag, type FlagSpec } from '../args.js';
import { keyFlags, keyLabel } from '../key-flags.js';
import { withSecrets } from '../secrets.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface SetVerbRequest {
  ctid: number;
  /** Changes in the order given; the runtime resolves flags to keys. */
  edits: SetEdit[];
  save: boolean;
}

export const SAVE_FLAG: FlagSpec = { name: 'save', description: "also write the parameters to the container's config file" };

export const setVerb: Verb = {
  name: 'set',
  usage: 'CTID [--save] PARAMETER...',
  summary: 'Change parameters; live ones apply to a running container at once',
  flags: (rt) => [SAVE_FLAG, ...keyFlags(rt, 'set')],
  async run(argv, { rt, out, io }) {
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const req: SetVerbRequest = {
      ctid,
      edits: args.flags.filter((f) => f.name !== SAVE_FLAG.name).map((f) => ({ flag: f.name, arg: f.value })),
      save: hasFlag(args, SAVE_FLAG.name),
    };
    if (req.edits.length === 0) {
      throw vzError('BAD_PARAM', `CT ${ctid}: no parameters to set were given`, { hint: "see 'vzctl set --help'" });
    }
    const status = await rt.status(req.ctid);
    const running = status.running;
    // No password is asked for a VE that does not exist.
    const { edits, warnings } = await withSecrets(req.ctid, req.edits, keyFlags(rt, 'set'), io, () => status.exist);
    const result = await rt.set(req.ctid, edits, { save: req.save });
    for (const w of warnings) out.warn(w);
    const keys = new Map(rt.configKeys.map((k) => [k.name, k]));
    const label = (name: string) => {
      const k = keys.get(name);
      return k ? keyLabel(k) : name;
    };
    if (running) {
      for (const name of result.deferred) {
        if (result.saved) out.info(`${label(name)} cannot change on a running container: it will apply at the next start`);
        else out.warn(`WARNING: ${label(name)} cannot change on a running container and was not applied (use --save to apply it at the next start)`);
      }
    }
    if (result.saved) out.info(`Saved parameters for CT ${req.ctid}`);
    // Actions (--userpasswd) are never saved: nothing of theirs is lost at a restart.
    else if (running && result.applied.some((n) => !keys.get(n)?.transient)) {
      out.warn('WARNING: Settings were not saved to config (use --save flag) and will be lost after CT restart');
    }
    return 0;
  },
};
