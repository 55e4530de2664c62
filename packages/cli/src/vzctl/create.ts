/**
 * `vzctl create CTID [--ostemplate NAME] [--config NAME] [--hostname ...]`: every key
 * whose declaration accepts `create` is a flag here, generated from the runtime.
 */
import { readFile } from 'node:fs/promises';
import { ConfigFile, DEF_OSTEMPLATE, OSTEMPLATE, ValueError, isReservedCtid, vzError, type ConfigKey } from '@vzkit/core';
import { flagValue, type FlagSpec } from '../args.js';
import { keyFlags, type KeyFlag } from '../key-flags.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface CreateVerbRequest {
  ctid: number;
  ostemplate: string | undefined;
  /** Sample config name: `ve-<name>.conf-sample`. */
  config: string | undefined;
  /** Raw values of the other keys given as flags, by key name. */
  values: Map<string, string>;
}

const CONFIG_FLAG: FlagSpec = { name: 'config', arg: 'NAME', description: 'apply the sample config ve-NAME.conf-sample (default: CONFIGFILE of vz.conf, basic; unlimited sets no limits)' };

/** Turns the flags into raw key values; edit flags apply in order to what came before. */
export function createValues(given: Array<{ name: string; value: string }>, flags: KeyFlag[]): Map<string, string> {
  const values = new Map<string, string>();
  const byName = new Map(flags.map((f) => [f.name, f]));
  for (const g of given) {
    const f = byName.get(g.name);
    if (!f || f.key === OSTEMPLATE) continue;
    if (!f.edit) {
      values.set(f.key.name, g.value);
      continue;
    }
    const key = f.key as ConfigKey<unknown>;
    const raw = values.get(key.name);
    try {
      const next = f.edit.apply(raw === undefined ? undefined : key.type.parse(raw), g.value);
      values.set(key.name, key.type.format(next));
    } catch (e) {
      if (e instanceof ValueError) throw vzError('BAD_VALUE', `invalid value for --${g.name}: ${e.message}`);
      throw e;
    }
  }
  return values;
}

export const createVerb: Verb = {
  name: 'create',
  usage: 'CTID [--ostemplate NAME] [--config NAME] [--private PATH] [--root PATH] [--hostname NAME] [--name NAME] ...',
  summary: "Make the container's private area from an OS template and write its config",
  flags: (rt) => [CONFIG_FLAG, ...keyFlags(rt, 'create')],
  async run(argv, { rt, out }) {
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const req: CreateVerbRequest = {
      ctid,
      ostemplate: flagValue(args, OSTEMPLATE.flag!),
      config: flagValue(args, CONFIG_FLAG.name),
      values: createValues(args.flags, keyFlags(rt, 'create')),
    };
    if (isReservedCtid(req.ctid)) out.warn(`WARNING: CT IDs up to 100 are reserved for OpenVZ internal use`);
    const template = req.ostemplate ?? (await defaultTemplate(rt.paths.globalConf));
    // Said once the values passed every check: a refused create prints only its error.
    const announce = (ctid: number) => {
      if (ctid === req.ctid) out.info(`Creating container private area${template ? ` (${template})` : ''}`);
    };
    rt.events.on('ve:creating', announce);
    await rt.create(req.ctid, {
      ...(req.ostemplate !== undefined ? { ostemplate: req.ostemplate } : {}),
      ...(req.config !== undefined ? { config: req.config } : {}),
      values: req.values,
    }).finally(() => rt.events.off('ve:creating', announce));
    out.info('Container private area was created');
    return 0;
  },
};

/** DEF_OSTEMPLATE of vz.conf, only for the message (the runtime decides). */
async function defaultTemplate(globalConf: string): Promise<string | undefined> {
  try {
    return ConfigFile.parse(await readFile(globalConf, 'utf8')).get(DEF_OSTEMPLATE.name);
  } catch {
    return undefined;
  }
}
