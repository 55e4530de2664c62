/**
 * `vztmpl`, the template plugin's tool: list, create (build, or unpack from the machine's
 * cache), remove, export and import OS templates of a vzkit root. Long work reports
 * progress on stderr as `vztmpl: NAME: what`; `-q` keeps it and the closing line quiet.
 */
import { resolve } from 'node:path';
import { OSTEMPLATE, vzError, type CommandApi, type CommandDecl } from '@vzkit/core';
import { templateError } from './errors.js';
import { buildableNames, findBuilder } from './builders.js';
import { cachedNames, findCached, templateCacheDir } from './cache.js';
import { ensureTemplate } from './ensure.js';
import { exportTemplate } from './export-tarball.js';
import { importTemplate, refuseExisting } from './import-tarball.js';
import { checkTemplateName, listTemplates, readStamp, templatePath } from './layout.js';
import { creatingFrom, holding, templateLock } from './locks.js';
import { silentProgress, type Progress } from './progress.js';
import type { TemplateSettings } from './settings.js';
import { removeTemplateTree } from './remove.js';
import { templateNameOf } from './tarball.js';
import { parseToolArgs, type ArgsSpec, type ParsedArgs } from './vztmpl-args.js';
import { humanSize, renderTemplateList, type TemplateRow } from './vztmpl-list.js';

const QUIET = { name: 'quiet', short: 'q' } as const;

/** What every vztmpl command works with. */
interface Session {
  api: CommandApi;
  args: ParsedArgs;
  dir: string;
  cacheDir: string;
  /** The composition's Debian mirror (`--mirror` wins). */
  mirror: string | undefined;
  /** Informational output (the closing line), gone with -q. */
  say(line: string): void;
  /** Progress of template `name`, on stderr, gone with -q. */
  progress(name: string): Progress;
}

function session(api: CommandApi, command: string, argv: string[], spec: ArgsSpec, settings: TemplateSettings): Session {
  const args = parseToolArgs('vztmpl', command, argv, spec);
  const quiet = args.flags.has(QUIET.name);
  return {
    api,
    args,
    dir: api.runtime.paths.template,
    cacheDir: templateCacheDir(api.runtime.paths.prefix, settings.cacheDir),
    mirror: settings.mirror,
    say: (line) => quiet || api.out(line),
    progress: (name) => (quiet ? silentProgress : (msg) => api.err(`vztmpl: ${name}: ${msg}`)),
  };
}

/** Declares one vztmpl command, for a composition's settings; `run` gets the parsed command line. */
function command(name: string, summary: string, usage: string, spec: ArgsSpec, run: (s: Session) => Promise<void>): (settings: TemplateSettings) => CommandDecl {
  return (settings) => ({
    tool: 'vztmpl',
    name,
    summary,
    usage,
    async run(api, argv) {
      await run(session(api, name, argv, spec, settings));
      return 0;
    },
  });
}

async function templateSize(s: Session, name: string): Promise<string> {
  const size = (await readStamp(s.api.runtime.host, templatePath(s.dir, name))).size;
  return typeof size === 'number' ? humanSize(size) : 'size unknown';
}

const list = command('list', 'list the OS templates of this vzkit root', `[-a] [-j]
  -a, --all   also the templates vzkit can build or has in the machine cache
  -j, --json  JSON: name, path, created, size (bytes), source, status`,
{ flags: [{ name: 'all', short: 'a' }, { name: 'json', short: 'j' }], positionals: [], required: 0 },
async (s) => {
  const host = s.api.runtime.host;
  const rows: TemplateRow[] = (await listTemplates(host, s.dir)).map((t) => ({ ...t, status: 'ready' }));
  if (s.args.flags.has('all')) {
    const known = new Set(rows.map((r) => r.name));
    const cached = await cachedNames(host, s.cacheDir);
    for (const name of [...new Set([...(await buildableNames(host)), ...cached])].sort()) {
      if (known.has(name)) continue;
      const file = await findCached(host, s.cacheDir, name);
      rows.push(file
        ? { name, path: file, created: undefined, size: undefined, source: undefined, status: 'cached' }
        : { name, path: undefined, created: undefined, size: undefined, source: undefined, status: 'buildable' });
    }
  }
  if (s.args.flags.has('json')) s.api.out(JSON.stringify(rows, null, 2));
  else for (const line of renderTemplateList(rows)) s.api.out(line);
});

const create = command('create', 'build an OS template (or unpack it from the machine cache)', `NAME [--mirror URL] [--no-cache] [-q]
  NAME          busybox, or debian-12-<this host's machine> (debian-12-x86_64)
  --mirror URL  Debian mirror (default VZKIT_DEBIAN_MIRROR, else the host's apt sources', else http://deb.debian.org/debian)
  --no-cache    build even when the machine cache has it, and replace the cached tarball
  -q, --quiet   no progress`,
{ flags: [{ name: 'mirror', value: true }, { name: 'no-cache' }, QUIET], positionals: ['NAME'], required: 1 },
async (s) => {
  const host = s.api.runtime.host;
  const name = s.args.args.get('NAME')!;
  checkTemplateName(name);
  await refuseExisting(host, s.dir, name);
  const flag = s.args.flags.get('mirror');
  const mirror = typeof flag === 'string' ? flag : s.mirror;
  const opts = mirror ? { mirror } : {};
  if (!(await findBuilder(host, name, opts))) {
    throw vzError('TEMPLATE_NOT_FOUND', `vzkit cannot build OS template '${name}'`, {
      hint: `it builds ${(await buildableNames(host)).join(', ')}; others come as tarballs: vztmpl import FILE ${name}`,
    });
  }
  const started = Date.now();
  const path = await ensureTemplate(host, s.dir, name, {
    ...opts, op: 'vztmpl create', progress: s.progress(name), cacheDir: s.cacheDir, fresh: s.args.flags.has('no-cache'),
  });
  s.say(`Created OS template ${name} in ${path} (${await templateSize(s, name)}, ${Math.round((Date.now() - started) / 1000)} s)`);
});

const remove = command('remove', 'remove an OS template no VE is made from', `NAME [-q]`,
{ flags: [QUIET], positionals: ['NAME'], required: 1 },
async (s) => {
  const host = s.api.runtime.host;
  const name = s.args.args.get('NAME')!;
  checkTemplateName(name);
  if (!(await host.fs.exists(templatePath(s.dir, name)))) {
    throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' not found in ${s.dir}`);
  }
  // Under the template's lock no create can begin using it; one that began is marked.
  await holding(templateLock(host, s.dir, name), 'remove', s.progress(name), async () => {
    const made = (await s.api.runtime.list()).filter((r) => r.config.get(OSTEMPLATE) === name).map((r) => r.ctid);
    const users = [...new Set([...made, ...(await creatingFrom(host, s.dir, name))])].sort((a, b) => a - b).map((c) => `CT ${c}`);
    if (users.length > 0) {
      throw templateError('TEMPLATE_IN_USE', `OS template '${name}' is in use by ${users.join(', ')}`, {
        hint: 'a VE made from it reads it as the lower layer of its root: destroy those VEs first (vzctl destroy CTID)',
      });
    }
    await removeTemplateTree(host, s.dir, name);
  });
  s.say(`Removed OS template ${name}`);
});

const exportCmd = command('export', 'write an OS template to a compressed tarball', `NAME FILE [-q]
  FILE  .tar.zst or .tar.gz (.tar.xz, .tar); another name gets zstd when the host has it, else gzip`,
{ flags: [QUIET], positionals: ['NAME', 'FILE'], required: 2 },
async (s) => {
  const name = s.args.args.get('NAME')!;
  checkTemplateName(name);
  const file = resolve(s.args.args.get('FILE')!);
  const compression = await exportTemplate(s.api.runtime.host, s.dir, name, file, { progress: s.progress(name) });
  const size = (await s.api.runtime.host.fs.stat(file))?.size;
  s.say(`Exported OS template ${name} to ${file} (${compression}${size === undefined ? '' : `, ${humanSize(size)}`})`);
});

const importCmd = command('import', 'add an OS template from a tarball (an export, or a root filesystem tarball)', `FILE [NAME] [-q]
  NAME  default: FILE's name without .tar.* (debian-12-x86_64.tar.zst -> debian-12-x86_64)`,
{ flags: [QUIET], positionals: ['FILE', 'NAME'], required: 1 },
async (s) => {
  const file = resolve(s.args.args.get('FILE')!);
  const name = s.args.args.get('NAME') ?? templateNameOf(file);
  if (name === undefined) {
    throw vzError('BAD_VALUE', `cannot tell a template name from ${file}`, { hint: `name it: vztmpl import ${file} NAME` });
  }
  const host = s.api.runtime.host;
  await host.fs.mkdir(s.dir, { recursive: true });
  await holding(templateLock(host, s.dir, name), 'import', s.progress(name), () => importTemplate(host, s.dir, name, file, s.progress(name)));
  s.say(`Imported OS template ${name} from ${file} (${await templateSize(s, name)})`);
});

/** The commands of the `vztmpl` tool. */
export function vztmplCommands(settings: TemplateSettings = {}): CommandDecl[] {
  return [list, create, remove, exportCmd, importCmd].map((c) => c(settings));
}
