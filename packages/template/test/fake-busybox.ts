/** A stand-in for a busybox binary: some bytes, then its applet name table. */
export function fakeBusybox(applets: readonly string[]): string {
  return `\x7fELF\x02\x01\x01\0garbage\0[x\0${[...applets].sort().join('\0')}\0\0more\0data`;
}
