/**
 * Architectures in template names. A name carries the machine name `uname -m` prints
 * (`debian-12-x86_64`, as OpenVZ's templates do); Debian names the same architecture
 * differently (amd64). Only the host's own architecture can be built: the build runs
 * the new system's programs.
 */
import type { Host } from '@vzkit/core';

/** `uname -m` → Debian architecture. */
const DEBIAN_ARCH: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  i686: 'i386',
  armv7l: 'armhf',
  ppc64le: 'ppc64el',
  s390x: 's390x',
};

/** Debian's name for a machine name; undefined for one Debian does not build for. */
export function debianArch(machine: string): string | undefined {
  return Object.hasOwn(DEBIAN_ARCH, machine) ? DEBIAN_ARCH[machine] : undefined;
}

const machines = new WeakMap<Host, Promise<string>>();

/** The host's machine name (`uname -m`), asked once per Host. */
export function hostMachine(host: Host): Promise<string> {
  let m = machines.get(host);
  if (!m) {
    m = host.processes.run(['uname', '-m']).then((r) => r.stdout.trim(), (e: unknown) => {
      machines.delete(host);
      throw e;
    });
    machines.set(host, m);
  }
  return m;
}
