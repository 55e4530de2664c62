/**
 * `vzpid [-p] PID...` / `vzpid [-p] -`: which VE a host process belongs to, as OpenVZ's
 * vzpid prints it: a `Pid VEID Name` header, then one tab-separated line per process
 * that exists, VEID 0 for the host's own. `-p` adds the pid it has inside its VE.
 */
import { vzError, type CommandDecl } from '@vzkit/core';
import { procStatus, veOfPids } from './ve-processes.js';

const USAGE = 'Usage: vzpid [-p] PID ... | vzpid [-p] -';

export const vzpidCommand: CommandDecl = {
  tool: 'vzpid',
  name: 'vzpid',
  summary: 'show the CT ID of host processes (0: the host)',
  usage: `${USAGE}
  -p   also show the pid each process has inside its container (VPid)
  -    read the pids from standard input`,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const inner = argv.includes('-p');
    let words = argv.filter((a) => a !== '-p');
    const bad = words.find((a) => a.startsWith('-') && a !== '-');
    if (bad !== undefined) throw vzError('BAD_PARAM', `unknown option ${bad}`, { exit: 1, hint: USAGE });
    if (words.length === 0) throw vzError('BAD_PARAM', 'no pid given', { exit: 1, hint: USAGE });
    if (words.includes('-')) {
      if (words.length > 1) throw vzError('BAD_PARAM', "'-' reads the pids from standard input and takes no others", { exit: 1, hint: USAGE });
      words = (await api.input?.() ?? '').split(/\s+/).filter(Boolean);
    }
    const owners = await veOfPids(api.runtime);
    api.out(inner ? 'Pid\tVEID\tName\tVPid' : 'Pid\tVEID\tName');
    for (const word of words) {
      // vzpid prints nothing for what is no process.
      if (!/^\d+$/.test(word)) continue;
      const pid = Number(word);
      const st = await procStatus(api.runtime, pid);
      if (!st) continue;
      const veid = owners.get(st.tgid) ?? 0;
      const line = `${pid}\t${veid}\t${st.name}`;
      api.out(inner ? `${line}\t${veid === 0 ? pid : st.nsPid}` : line);
    }
    return 0;
  },
};
