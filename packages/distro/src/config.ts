/** The config keys distro owns. */
import { defineKey } from '@vzkit/core';
import { parseUserPassword, passwordSecret, userPasswords, type UserPassword } from './userpasswd.js';

/** `--userpasswd USER[:PASSWORD]` (repeatable): an action on the running VE, never saved. */
export const USERPASSWD = defineKey<UserPassword[]>({
  name: 'USERPASSWD',
  type: userPasswords,
  live: true,
  transient: true,
  scope: ['set'],
  description: 'Set a password inside the running VE (the user is made when missing)',
  editFlags: [{
    flag: 'userpasswd',
    arg: 'USER[:PASSWORD]',
    description: 'Set the password of USER inside the running VE, making the user if needed; the password is read from stdin ' +
      '(one line; asked twice on a terminal) unless given after a colon, where ps shows it (repeatable; never saved)',
    apply: (cur, arg) => [...(cur ?? []), parseUserPassword(arg)],
    secret: passwordSecret,
  }],
});
