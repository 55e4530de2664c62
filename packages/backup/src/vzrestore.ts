/**
 * `vzrestore ARCHIVE CTID [--PARAMETER VALUE]...`: a VE made again from a vzdump archive,
 * under the same CTID (once the old one is destroyed) or a new one; never over an
 * existing VE (exit 44), as Proxmox's vzrestore without --force.
 *
 * The archive is read whole and checked first — every tar header, every file's sha256
 * and the sum of the whole against its manifest — and a damaged one is refused before
 * anything is made (exit 17). Then the restore is a `create` from the archived config
 * (core): under its intent record, the plugins make an empty private area as for any
 * new VE (the template, the disk quota's backend that DISKSPACE and this host decide, the
 * layers), the archive is unpacked into it (checked again as it goes), every plugin's
 * `convert` brings the files in line with the new VE (ns-fs moves their owners from the
 * archived VE's id range into the new one's; quota puts them on the disk image), and the
 * config is written last. A failed restore removes all it made; a killed one is undone
 * by the next vzctl on the CTID.
 *
 * What would clash with another VE is this host's to give or the administrator's to
 * change, as Proxmox's restore takes the creation options: VE_ROOT and VE_PRIVATE are
 * this host's defaults (or --root/--private), an unprivileged VE gets a free id range of
 * its own (LOCAL_UID=auto; --local_uid to choose), and a NAME or an IP address another
 * VE has is refused in one line naming it (--name, --ipdel/--ipadd change them). Any
 * other parameter `vzctl create` takes may be given too (--hostname, --diskspace, ...).
 */
import { resolve } from 'node:path';
import {
  ConfigFile, OSTEMPLATE, parseCtid, parseKeyValue, VE_PRIVATE, VE_ROOT, ValueError, vzError,
  type CommandApi, type CommandDecl, type ConfigKey, type EditFlag, type Runtime,
} from '@vzkit/core';
import { checkArchive, unpackArchive } from './archive.js';
import { backupError } from './errors.js';
import type { Manifest } from './format.js';
import { duration, progressLine, size, type Say } from './say.js';

const USAGE = 'Usage: vzrestore ARCHIVE CTID [--quiet] [--PARAMETER VALUE]...';

/**
 * OpenVZ's keys of the VE's id range, as its config files name them. ns-user owns them
 * (a composition may lack it); a restore writes them raw, as the archived file has them.
 */
const LOCAL_UID = 'LOCAL_UID';
const LOCAL_GID = 'LOCAL_GID';

/** One parameter given on the command line, as `vzctl create` takes them. */
interface ParamEdit {
  key: ConfigKey<any>;
  flag: string;
  arg: string;
  edit?: EditFlag<any>;
}

export interface RestoreArgs {
  archive: string;
  ctid: string;
  quiet: boolean;
  params: ParamEdit[];
}

/** The flags of every key `vzctl create` takes (a key's own and its edit flags), but actions such as --userpasswd. */
function createFlags(rt: Runtime): Map<string, { key: ConfigKey<any>; edit?: EditFlag<any> }> {
  const flags = new Map<string, { key: ConfigKey<any>; edit?: EditFlag<any> }>();
  for (const key of rt.configKeys) {
    if ((key.scope && !key.scope.includes('create')) || key.transient) continue;
    if (key.flag) flags.set(key.flag, { key });
    for (const edit of key.editFlags ?? []) if (!edit.secret) flags.set(edit.flag, { key, edit });
  }
  return flags;
}

/** Parses vzrestore's arguments; BAD_PARAM (20) with the usage on anything else. */
export function parseRestoreArgs(rt: Runtime, argv: readonly string[]): RestoreArgs {
  const bad = (why: string) => vzError('BAD_PARAM', why, { hint: USAGE });
  const flags = createFlags(rt);
  const positional: string[] = [];
  const params: ParamEdit[] = [];
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quiet' || a === '-q') {
      quiet = true;
      continue;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a !== '-') throw bad(`unknown option ${a}`);
      positional.push(a);
      continue;
    }
    const [name, inline] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), undefined];
    const f = flags.get(name);
    if (!f) throw bad(`unknown option --${name}`);
    const arg = inline ?? argv[++i];
    if (arg === undefined) throw bad(`--${name} needs a value`);
    if (!f.edit && params.some((p) => p.flag === name)) throw bad(`--${name} given twice`);
    params.push({ key: f.key, flag: name, arg, ...(f.edit ? { edit: f.edit } : {}) });
  }
  if (positional.length !== 2) throw bad(positional.length < 2 ? 'an archive and a CTID are needed' : `unexpected argument ${positional[2]}`);
  return { archive: positional[0]!, ctid: positional[1]!, quiet, params };
}

/** The archived config made this host's and this CTID's: see the file's comment. */
export function restoredConfig(text: string, manifest: Manifest, params: readonly ParamEdit[], label: string): ConfigFile {
  let file: ConfigFile;
  try {
    file = ConfigFile.parse(text);
  } catch (e) {
    throw backupError('BACKUP_DAMAGED', `${label}: the archived config does not parse: ${(e as Error).message}`);
  }
  file.set(VE_ROOT.name, undefined);
  file.set(VE_PRIVATE.name, undefined);
  // The same kind of VE; an unprivileged one in a range of its own.
  file.set(LOCAL_UID, manifest.ids.uid === 0 ? '0' : 'auto');
  file.set(LOCAL_GID, undefined);
  for (const p of params) {
    try {
      if (!p.edit) {
        parseKeyValue(p.key, p.arg, label);
        file.set(p.key.name, p.arg);
        continue;
      }
      const raw = file.get(p.key.name);
      const before = raw === undefined || raw === '' ? p.key.default : p.key.type.parse(raw);
      file.set(p.key.name, p.key.type.format(p.edit.apply(before, p.arg)));
    } catch (e) {
      if (e instanceof ValueError) {
        throw vzError(e.code ?? 'BAD_VALUE', `${label}: --${p.flag} ${p.arg}: ${e.message}`, { about: label, ...(e.exit !== undefined ? { exit: e.exit } : {}), cause: e });
      }
      throw e;
    }
  }
  return file;
}

/** Addresses in a raw IP_ADDRESS value, in the key's own written form, without prefixes. */
function addresses(rt: Runtime, raw: string | undefined): string[] {
  const key = rt.configKeys.find((k) => k.name === 'IP_ADDRESS');
  if (!key || !raw?.trim()) return [];
  try {
    return key.type.format(key.type.parse(raw)).split(/\s+/).filter(Boolean).map((a) => a.replace(/\/\d+$/, ''));
  } catch {
    return [];
  }
}

/**
 * Refuses an IP address another VE has in its config (exit 78, as vzctl's IP_INUSE): the
 * network plugin finds only the addresses of running VEs, and a copy restored beside its
 * stopped original would take its address at the next start. NAME is checked by create
 * (131); VE_ROOT and VE_PRIVATE are this CTID's own unless given.
 */
async function checkAddresses(rt: Runtime, ctid: number, file: ConfigFile): Promise<void> {
  const mine = new Set(addresses(rt, file.get('IP_ADDRESS')));
  if (mine.size === 0) return;
  for (const row of await rt.list()) {
    if (row.ctid === ctid) continue;
    const shared = addresses(rt, row.config.raw('IP_ADDRESS')).find((a) => mine.has(a));
    if (shared) {
      throw vzError('IP_INUSE', `CT ${ctid}: address ${shared} is CT ${row.ctid}'s (in its config)`, {
        exit: 78, hint: `give the restored VE another: --ipdel ${shared} --ipadd ADDRESS (or --ipdel all)`,
      });
    }
  }
}

/** A word when the template here is not the build the VE's files were made over. */
async function compareTemplate(api: CommandApi, manifest: Manifest, name: string | undefined, label: string, say: Say): Promise<void> {
  const was = manifest.template;
  if (!name || !was || name !== manifest.ostemplate) return;
  const stamp = await api.runtime.host.fs.readFile(`${api.runtime.paths.template}/${name}/.vzkit-template`).then((t) => JSON.parse(t) as Record<string, unknown>, () => undefined);
  if (!stamp) return;
  if (stamp.created === was.created && stamp.source === was.source) return;
  say(`WARNING: ${label}: the archived files lie over OS template ${name} built ${was.created ?? '?'} (${was.source ?? '?'}); this host's was built ${String(stamp.created ?? '?')} (${String(stamp.source ?? '?')}): files the VE did not change come from this host's build`);
}

export const vzrestoreCommand: CommandDecl = {
  tool: 'vzrestore',
  name: 'vzrestore',
  summary: 'make a container again from a vzdump archive, under the same or a new CTID',
  usage: `${USAGE}
  ARCHIVE             a vzdump archive (checked whole before anything is made)
  CTID                a CTID no container has
  --quiet             no progress on stderr
  --PARAMETER VALUE   any parameter of 'vzctl create' over the archived config:
                      --name, --ipadd/--ipdel, --hostname, --private, --root,
                      --local_uid (default: auto for an unprivileged container, 0 stays 0), ...`,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const rt = api.runtime;
    const args = parseRestoreArgs(rt, argv);
    const say: Say = args.quiet ? () => {} : (line) => api.err(line);
    const ctid = parseCtid(args.ctid);
    const label = `CT ${ctid}`;
    if ((await rt.ctids()).includes(ctid)) {
      throw vzError('VE_EXISTS', `${label} already exists`, { about: label, exit: 44, hint: `destroy it first (vzctl destroy ${ctid}), or restore to a CTID no container has` });
    }
    const archive = resolve(args.archive);
    if ((await rt.host.fs.stat(archive))?.type !== 'file') throw backupError('BACKUP_NOT_FOUND', `${archive} is not a file`, { path: archive });
    const t0 = Date.now();
    say(`${label}: checking ${archive}`);
    const { config, manifest } = await checkArchive({ host: rt.host, file: archive, progress: (p) => say(`${label}: checked ${progressLine(p, t0)}`) });
    const data = manifest.files.reduce((n, f) => n + f.bytes, 0);
    say(`${label}: ${archive} is whole: CT ${manifest.ctid} as of ${manifest.created} (${manifest.mode}), ${manifest.files.length} files, ${size(data)}`);
    // Files of an id range need a composition that maps ids, or they would be the host root's to run.
    if (manifest.ids.uid !== 0 && !rt.configKeys.some((k) => k.name === LOCAL_UID)) {
      throw vzError('UNSUPPORTED', `${label}: ${archive} holds an unprivileged VE (host ids from ${manifest.ids.uid}), and this composition gives VEs no user namespace (no plugin owns ${LOCAL_UID})`, {
        about: label,
        hint: 'restore it with the default tools, whose composition has ns-user',
      });
    }
    const file = restoredConfig(config, manifest, args.params, label);
    await checkAddresses(rt, ctid, file);
    const madeFor = new Map<string, string | undefined>([
      [LOCAL_UID, String(manifest.ids.uid)],
      [LOCAL_GID, manifest.ids.uid === 0 ? undefined : String(manifest.ids.gid)],
    ]);
    const t1 = Date.now();
    await rt.create(ctid, {
      file: file.toString(),
      fill: {
        madeFor,
        run: async (ve) => {
          say(`${label}: unpacking into ${ve.paths.private}`);
          await unpackArchive(`${ve.paths.private}/fs`, { host: rt.host, file: archive, expect: manifest, progress: (p) => say(`${label}: unpacked ${progressLine(p, t1)}`) });
        },
      },
    });
    const restored = await rt.config(ctid);
    await compareTemplate(api, manifest, restored.get(OSTEMPLATE), label, say);
    const uid = Number(restored.raw(LOCAL_UID) ?? 0);
    const kind = uid ? `unprivileged, its root host uid ${uid}` : 'of the host root';
    say(`${label}: restored from ${archive} in ${duration(Date.now() - t0)} (${kind})`);
    return 0;
  },
};
