/**
 * `vzprocfs`: the server itself, as the first VE start of a root runs it (detached, its
 * output in `<run>/vzprocfs/vzprocfs.log`). It serves until its mount goes away or it is
 * told to stop (SIGTERM, SIGINT: it unmounts and exits). Not meant to be run by hand.
 */
import { vzError, type CommandDecl } from '@vzkit/core';
import { FS_NAME, instanceFor } from './instance.js';
import { procfsFiles } from './server.js';

const USAGE = `Usage: vzprocfs
Serves the files of every VE of this vzkit root that uses it (/dev/vz/user_beancounters,
/dev/vz/veinfo, /proc/meminfo and /proc/swaps inside) from <run>/vzprocfs/mnt. vzctl
starts it with the first VE that needs it and stops it with the last.`;

export const vzprocfsCommand: CommandDecl = {
  tool: 'vzprocfs',
  name: 'vzprocfs',
  summary: "serve the VEs' /dev/vz and /proc files (started by vzctl)",
  usage: USAGE,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of USAGE.split('\n')) api.out(line);
      return 0;
    }
    if (argv.length > 0) throw vzError('BAD_PARAM', `vzprocfs takes no arguments: ${argv.join(' ')}`, { exit: 1, hint: USAGE });
    const rt = api.runtime;
    const inst = instanceFor(rt.paths.run);
    // Written before the mount: a vzctl killed while it waits still finds the server.
    await rt.host.fs.writeFile(inst.pidfile, `${process.pid}\n`);
    const session = await rt.host.fuse.serve(inst.mnt, procfsFiles(rt, inst), { name: FS_NAME });
    api.err(`vzprocfs: serving ${inst.mnt} (pid ${process.pid})`);
    const stop = (signal: string) => {
      api.err(`vzprocfs: ${signal}, unmounting`);
      void session.close();
      // Binds in VEs still running keep the session: do not wait for them.
      setTimeout(() => process.exit(0), 500).unref();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    await session.done;
    api.err('vzprocfs: the mount is gone, exiting');
    return 0;
  },
};
