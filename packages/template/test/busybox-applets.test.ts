import { describe, expect, it } from 'vitest';
import { BIN_APPLETS, busyboxApplets, SBIN_APPLETS } from '../src/index.js';
import { fakeBusybox } from './fake-busybox.js';

describe('busyboxApplets', () => {
  it('reads the name table of a busybox binary', () => {
    const names = busyboxApplets(fakeBusybox(['[', '[[', 'ash', 'cat', 'init', 'ls', 'mount', 'sh', 'sleep', 'syslogd', 'vi']));
    expect(names).toEqual(new Set(['[', '[[', 'ash', 'cat', 'init', 'ls', 'mount', 'sh', 'sleep', 'syslogd', 'vi']));
  });

  it('says so when there is no table', () => {
    expect(busyboxApplets('\x7fELF no table here\0sh\0')).toBeUndefined();
  });

  it('the fixed lists cover the tools a VE is expected to have', () => {
    const all = new Set([...BIN_APPLETS, ...SBIN_APPLETS]);
    for (const a of 'sh ash cat ls ps mount umount hostname sleep echo init halt poweroff reboot syslogd klogd logger httpd ip ifconfig route ping wget vi top free df du mkdir rmdir rm cp mv ln chmod chown grep sed awk head tail wc sort uniq kill killall pidof env id whoami uname date true false test [ touch find xargs tr cut sync nc netstat dmesg more less login getty passwd su adduser deluser addgroup crond crontab ipcs ipcrm nproc uptime stat readlink seq yes tee basename dirname which mknod mkfifo chroot setsid nohup timeout watch'.split(' ')) {
      expect(all, a).toContain(a);
    }
  });
});
