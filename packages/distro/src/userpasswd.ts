/**
 * `--userpasswd user:password`: the user's password inside the running VE, the user
 * made first when missing, by the guest's own tools (chpasswd, useradd or busybox's
 * adduser) so that its hashing and files are its own.
 */
import { ValueError, type ValueType } from '@vzkit/core';

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

/** A list of user:password pairs; the key is transient, so the text stays in memory and reaches no file. */
export const userPasswords: ValueType<UserPassword[]> = {
  arg: 'USER:PASSWORD',
  parse: (raw) => raw.split(/\s+/).filter(Boolean).map(parseUserPassword),
  format: (v) => v.map((u) => `${u.user}:${u.password}`).join(' '),
};

/**
 * Run inside by /bin/sh; reads `user:password` lines on stdin, so that no password is
 * ever on a command line (which every process of the VE could read in /proc).
 */
export const SET_PASSWORDS_SCRIPT = `set -e
while IFS= read -r line; do
  user=\${line%%:*}
  if ! id "$user" >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then useradd -m "$user"; else adduser -D "$user"; fi
  fi
  printf '%s\\n' "$line" | chpasswd
done
`;
