/**
 * Sample configs (`ve-NAME.conf-sample`): a file in the config directory, or else the
 * one a plugin ships. `create --config` starts a VE from one; `set --applyconfig` lays
 * one over an existing VE.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigFile } from '../config-file.js';
import { vzError } from '../errors.js';
import { readConfigFile, type Core } from './ve.js';

/** Where the sample NAME is looked for, and its text when it exists. */
export async function loadSample(core: Core, name: string, label: string): Promise<{ path: string; file: ConfigFile | undefined }> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw vzError('BAD_VALUE', `${label}: invalid sample config name '${name}'`, { about: label });
  const path = join(core.paths.confDir, `ve-${name}.conf-sample`);
  // readConfigFile checks the syntax and names the file at fault; parse again to keep an editable copy.
  if (await readConfigFile(path, label)) return { path, file: ConfigFile.parse(await readFile(path, 'utf8')) };
  const shipped = core.registry.samples.get(name);
  return { path, file: shipped === undefined ? undefined : ConfigFile.parse(shipped) };
}

/** Sample names there are: files `ve-NAME.conf-sample` in the config directory and the plugins' own. */
export async function sampleNames(core: Core): Promise<string[]> {
  const files = (await readdir(core.paths.confDir).catch(() => [] as string[]))
    .map((f) => /^ve-(.+)\.conf-sample$/.exec(f)?.[1]).filter((n): n is string => n !== undefined);
  return [...new Set([...files, ...core.registry.samples.keys()])].sort();
}
