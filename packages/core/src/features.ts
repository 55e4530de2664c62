/**
 * OpenVZ's per-VE features (`FEATURES="ppp:on nfs:off"`, `--features ppp:on,nfs:off`).
 * The key is the core's because one setting spans subsystems; what each feature means is
 * the business of the plugin that declares it ({@link FeatureDecl}). A feature no plugin
 * of the runtime declares is refused, so nothing is accepted and silently ignored.
 */
import { vzError } from './errors.js';
import { defineKey, type ConfigView, type EditFlag } from './plugin.js';
import { ValueError, type ValueType } from './values.js';

/** Each named feature on (true) or off (false); features not named keep their default. */
export type FeatureSettings = Readonly<Record<string, boolean>>;

function parseSettings(raw: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const item of raw.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([a-z][a-z0-9_]*):(on|off)$/.exec(item);
    if (!m) throw new ValueError(`'${item}' is not name:on or name:off`);
    out[m[1]!] = m[2] === 'on';
  }
  return out;
}

const featuresType: ValueType<FeatureSettings> = {
  arg: '"name:on|off ..."',
  parse: parseSettings,
  format: (v) => Object.keys(v).sort().map((k) => `${k}:${v[k] ? 'on' : 'off'}`).join(' '),
};

/** `--features ppp:on,nfs:off` changes the features it names and keeps the others, as vzctl does. */
const featuresEdit: EditFlag<FeatureSettings> = {
  flag: 'features',
  arg: 'name:on|off[,...]',
  description: 'Turn OpenVZ features on or off (sysfs, nfs, nfsd, ppp, bridge, sit, ipip, ipgre); others keep their setting',
  apply: (current, arg) => ({ ...(current ?? {}), ...parseSettings(arg) }),
};

export const FEATURES = defineKey<FeatureSettings>({
  name: 'FEATURES',
  type: featuresType,
  description: 'OpenVZ features given to the VE',
  // OpenVZ: restart-only. Most of them shape the VE's mounts, devices or namespaces at start.
  live: false,
  editFlags: [featuresEdit],
});

/** The VE's setting of one feature: true (on), false (off), undefined (not named: the default). */
export function featureSetting(config: ConfigView, name: string): boolean | undefined {
  return config.get(FEATURES)?.[name];
}

/** The first feature of `settings` that no declared feature matches: BAD_VALUE naming it and those offered. */
export function checkFeaturesDeclared(label: string, settings: FeatureSettings | undefined, declared: readonly string[]): void {
  for (const name of Object.keys(settings ?? {})) {
    if (declared.includes(name)) continue;
    throw vzError('BAD_VALUE', `${label}: FEATURES ${name}: no such feature in this vzkit (it offers ${declared.length ? [...declared].sort().join(', ') : 'none'})`, { about: label });
  }
}
