/**
 * `--userpasswd USER` (the password on stdin) or OpenVZ's `--userpasswd USER:PASSWORD`:
 * the user's password inside the running VE, the user made first when missing, by the
 * guest's own tools (chpasswd, useradd or busybox's adduser) so that its hashing and
 * files are its own. The password reaches the guest on a pipe only: never a command
 * line, on the host or inside.
 */
import { ValueError, type EditFlagSecret, type ValueType } from '@vzkit/core';

export interface UserPassword {
  user: string;
  password: string;
}

/** Names useradd takes (shadow's default NAME_REGEX, and at most 32 characters). */
const USER = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

export function parseUserPassword(arg: string): UserPassword {
  const colon = arg.indexOf(':');
  // Not even part of it is echoed: it may be a password typed without its user.
  if (colon < 0) throw new ValueError('the value is not user:password');
  const user = arg.slice(0, colon);
  const password = arg.slice(colon + 1);
  if (!USER.test(user)) throw new ValueError(`'${user}' is not a valid user name`);
  if (password === '') throw new ValueError(`the password for ${user} is empty`);
  if (/[\n\r\0]/.test(password)) throw new ValueError(`the password for ${user} holds a line break or NUL`);
  return { user, password };
}

/**
 * A list of user:password pairs, one a line (a password may hold spaces, never a line
 * break); the key is transient, so the text stays in memory and reaches no file.
 */
export const userPasswords: ValueType<UserPassword[]> = {
  arg: 'USER:PASSWORD',
  parse: (raw) => raw.split('\n').filter(Boolean).map(parseUserPassword),
  format: (v) => v.map((u) => `${u.user}:${u.password}`).join('\n'),
};

/** `USER` asks for the password on stdin; `USER:PASSWORD` carries it (and shows it to `ps`). */
export const passwordSecret: EditFlagSecret = {
  what: (arg) => `password for ${arg.split(':')[0]}`,
  inline: (arg) => arg.includes(':'),
  join: (arg, secret) => `${arg}:${secret}`,
};

/**
 * Run inside by /bin/sh with the user names as its arguments (`sh -c SCRIPT sh root web`)
 * and the `user:password` lines on stdin, which chpasswd reads itself: no password is
 * ever on a command line (every process of the host could read it in /proc), not even
 * that of a shell's printf.
 */
export const SET_PASSWORDS_SCRIPT = `set -e
for user in "$@"; do
  if ! id "$user" >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then useradd -m "$user"; else adduser -D "$user"; fi </dev/null
  fi
done
exec chpasswd
`;
