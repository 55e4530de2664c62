/**
 * `vzquota stat|show CTID [-j]`: a VE's first-level quota as vzquota printed it — usage,
 * soft and hard limits and grace of 1 KiB blocks and inodes — plus the backend that holds
 * them. `stat` reads the live numbers and, as vzquota did, refuses while the quota is off
 * (exit 6); `show` also reads a stopped VE's disk. `-j` prints JSON.
 */
import { vzError, type CommandApi, type CommandDecl } from '@vzkit/core';
import { renderTable, toJson, type QuotaReport } from './report.js';
import { OFFLINE_USAGE } from './stats.js';

/** vzquota's exit statuses (vzquota(8)). */
const EXIT_USAGE = 2;
const EXIT_NOT_RUNNING = 6;
const EXIT_NO_QUOTA = 11;

function parse(cmd: string, argv: string[]): { id: string; json: boolean } {
  let json = false;
  const ids: string[] = [];
  for (const a of argv) {
    if (a === '-j' || a === '--json') json = true;
    else if (a.startsWith('-')) throw vzError('BAD_PARAM', `vzquota ${cmd}: unknown option ${a}`, { exit: EXIT_USAGE, hint: `usage: vzquota ${cmd} CTID [-j]` });
    else ids.push(a);
  }
  if (ids.length !== 1) throw vzError('BAD_PARAM', `vzquota ${cmd}: one CTID expected`, { exit: EXIT_USAGE, hint: `usage: vzquota ${cmd} CTID [-j]` });
  return { id: ids[0]!, json };
}

async function report(api: CommandApi, cmd: 'stat' | 'show', argv: string[]): Promise<number> {
  const { id, json } = parse(cmd, argv);
  const ctid = await api.runtime.resolveId(id);
  const want = new Set(['diskspace', 'diskinodes', ...(cmd === 'show' ? [OFFLINE_USAGE] : [])]);
  const [row] = await api.runtime.list({ ctids: [ctid], stats: want });
  if (!row) throw vzError('VE_NOT_FOUND', `CT ${ctid} does not exist`);
  const space = row.stats.get('diskspace');
  const r: QuotaReport = { ctid, space, inodes: row.stats.get('diskinodes'), backend: space?.extra?.['backend'] as string | undefined };
  if (!r.backend) throw vzError('QUOTA_NONE', `CT ${ctid} has no disk quota (DISKSPACE was not set when it was created)`, { exit: EXIT_NO_QUOTA });
  if (cmd === 'stat' && space?.extra?.['on'] !== 'yes') {
    throw vzError('QUOTA_OFF', `CT ${ctid}: quota accounting is off (the VE is not mounted), try vzquota show ${ctid}`, { exit: EXIT_NOT_RUNNING });
  }
  const now = Math.floor(Date.now() / 1000);
  if (json) api.out(JSON.stringify(toJson(r, now), null, 2));
  else for (const l of renderTable(r, now)) api.out(l);
  return 0;
}

function command(name: 'stat' | 'show', summary: string): CommandDecl {
  return { tool: 'vzquota', name, summary, usage: `vzquota ${name} CTID [-j]`, run: (api, argv) => report(api, name, argv) };
}

export const vzquotaStat = command('stat', 'usage and limits of a VE\'s disk quota, live (the VE must be mounted or running)');
export const vzquotaShow = command('show', 'usage and limits of a VE\'s disk quota, also of a stopped VE');
