/**
 * `vzctl set CTID [--save] [--setmode restart|ignore] [--applyconfig NAME]
 * [--applyconfig_map name] --param value ...`, or a switch that applies keys again
 * (`--reset_ub`): every flag of every key whose declaration accepts `set`, generated from
 * the runtime, plus the keys' edit flags (repeatable, applied in order) and the plugins'
 * switches. Live keys apply to a running VE at once, the others at its next start (or at
 * once by a restart with `--setmode restart`); messages follow vzctl's.
 */
import { vzError, type ConfigKey, type SetEdit, type SetResult } from '@vzkit/core';
import { flagValue, hasFlag, type FlagSpec, type ParsedArgs } from '../args.js';
import type { Printer } from '../io.js';
import { keyFlags, keyLabel } from '../key-flags.js';
import { withSecrets } from '../secrets.js';
import { announced } from './announce.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface SetVerbRequest {
  ctid: number;
  /** Changes in the order given; the runtime resolves flags to keys. */
  edits: SetEdit[];
  save: boolean;
  /** What to do about keys that cannot change on a running VE. */
  setmode: 'restart' | 'ignore' | undefined;
  applyConfig: string | undefined;
  applyConfigMap: 'name' | undefined;
  /** A switch that applies keys again from the config (`reset_ub`). */
  reapply: string | undefined;
}

export const SAVE_FLAG: FlagSpec = { name: 'save', description: "also write the parameters to the container's config file" };
const SETMODE_FLAG: FlagSpec = {
  name: 'setmode', arg: 'restart|ignore',
  description: 'parameters that cannot change on a running container: restart it to apply them (needs --save), or say nothing about them',
};
const APPLYCONFIG_FLAG: FlagSpec = {
  name: 'applyconfig', arg: 'NAME',
  description: 'take the parameters of the sample ve-NAME.conf-sample (not HOSTNAME, IP_ADDRESS, OSTEMPLATE, VE_ROOT, VE_PRIVATE)',
};
const APPLYCONFIG_MAP_FLAG: FlagSpec = {
  name: 'applyconfig_map', arg: 'name', description: "check that the NAME in the container's config is still its own",
};
const OWN_FLAGS = [SAVE_FLAG, SETMODE_FLAG, APPLYCONFIG_FLAG, APPLYCONFIG_MAP_FLAG].map((f) => f.name);

function parseRequest(ctid: number, a: ParsedArgs, reapplyFlags: Set<string>): SetVerbRequest {
  const setmode = flagValue(a, SETMODE_FLAG.name);
  if (setmode !== undefined && setmode !== 'restart' && setmode !== 'ignore') {
    throw vzError('BAD_VALUE', `CT ${ctid}: invalid value for --setmode: '${setmode}' (restart or ignore)`);
  }
  const map = flagValue(a, APPLYCONFIG_MAP_FLAG.name);
  if (map !== undefined && map !== 'name') {
    throw vzError('BAD_VALUE', `CT ${ctid}: invalid value for --applyconfig_map: '${map}' (the only group is 'name')`);
  }
  const given = a.flags.filter((f) => !OWN_FLAGS.includes(f.name));
  const reapply = given.find((f) => reapplyFlags.has(f.name))?.name;
  return {
    ctid,
    edits: given.filter((f) => !reapplyFlags.has(f.name)).map((f) => ({ flag: f.name, arg: f.value })),
    save: hasFlag(a, SAVE_FLAG.name),
    setmode,
    applyConfig: flagValue(a, APPLYCONFIG_FLAG.name),
    applyConfigMap: map,
    reapply,
  };
}

export const setVerb: Verb = {
  name: 'set',
  usage: 'CTID [--save] PARAMETER... [--setmode restart|ignore] [--applyconfig NAME] [--applyconfig_map name]',
  summary: 'Change parameters; live ones apply to a running container at once',
  flags: (rt) => [
    SAVE_FLAG, SETMODE_FLAG, APPLYCONFIG_FLAG, APPLYCONFIG_MAP_FLAG,
    ...rt.reapplySwitches.map((r): FlagSpec => ({ name: r.flag, description: r.description })),
    ...keyFlags(rt, 'set'),
  ],
  async run(argv, { rt, out, io }) {
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const switches = new Map(rt.reapplySwitches.map((r) => [r.flag, r]));
    const req = parseRequest(ctid, args, new Set(switches.keys()));
    if (req.reapply !== undefined) {
      // vzctl: the switch applies the saved configuration; anything else given with it would be lost.
      if (req.save) throw vzError('BAD_PARAM', `CT ${ctid}: --${req.reapply} applies the saved configuration and cannot be combined with --save`);
      if (req.edits.length || req.applyConfig !== undefined || req.setmode !== undefined) {
        throw vzError('BAD_PARAM', `CT ${ctid}: --${req.reapply} cannot be combined with other parameters`);
      }
      req.edits = switches.get(req.reapply)!.keys.map((k) => ({ reapply: k }));
    }
    if (req.setmode === 'restart' && !req.save) {
      throw vzError('BAD_PARAM', `CT ${ctid}: --setmode restart doesn't make sense without --save flag`);
    }
    if (req.edits.length === 0 && req.applyConfig === undefined && req.applyConfigMap === undefined) {
      throw vzError('BAD_PARAM', `CT ${ctid}: no parameters to set were given`, { hint: "see 'vzctl set --help'" });
    }
    const status = await rt.status(req.ctid);
    const running = status.running;
    // No password is asked for a VE that does not exist.
    const { edits, warnings } = await withSecrets(req.ctid, req.edits, keyFlags(rt, 'set'), io, () => status.exist);
    const result = await announced(rt, ctid, {
      've:stopping': () => {
        out.info('Restarting container');
        out.info('Stopping container ...');
      },
      've:stopped': () => {
        out.info('Container was stopped');
        out.info('Container is unmounted');
      },
      've:starting': () => out.info('Starting container...'),
    }, () => rt.set(req.ctid, edits, {
      save: req.save,
      ...(req.applyConfig !== undefined ? { applyConfig: req.applyConfig } : {}),
      ...(req.applyConfigMap ? { applyConfigMap: req.applyConfigMap } : {}),
      ...(req.setmode === 'restart' ? { restart: true } : {}),
    }));
    for (const w of warnings) out.warn(w);
    report(req, result, running, rt.configKeys, out);
    return 0;
  },
};

function report(req: SetVerbRequest, result: SetResult, running: boolean, configKeys: ConfigKey<any>[], out: Printer): void {
  const keys = new Map(configKeys.map((k) => [k.name, k]));
  const label = (name: string) => {
    const k = keys.get(name);
    return k ? keyLabel(k) : name;
  };
  if (result.ignored.length) {
    out.warn(`WARNING: --applyconfig ${req.applyConfig}: left alone (not known here, create only or needing --save): ${result.ignored.join(', ')}`);
  }
  if (result.restarted) out.info('Container start in progress...');
  else if (running && result.deferred.length && req.setmode !== 'ignore') {
    for (const name of result.deferred) {
      if (result.saved) out.info(`${label(name)} cannot change on a running container: it will apply at the next start`);
      else out.warn(`WARNING: ${label(name)} cannot change on a running container and was not applied (use --save to apply it at the next start)`);
    }
    out.warn('WARNING: Some of the parameters could not be applied to a running container. Please consider using --setmode option');
  }
  if (result.saved) out.info(`Saved parameters for CT ${req.ctid}`);
  // Actions (--userpasswd) and keys applied again from the config lose nothing at a restart.
  else if (running && req.reapply === undefined && result.applied.some((n) => !keys.get(n)?.transient)) {
    out.warn('WARNING: Settings were not saved to config (use --save flag) and will be lost after CT restart');
  }
}
