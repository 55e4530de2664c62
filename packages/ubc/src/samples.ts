/**
 * Sample configs shipped with ubc (`vzctl create --config NAME`). OpenVZ's own samples
 * date from kernels where kernel memory and socket buffers were the scarce resources;
 * these size what today's kernels enforce (RAM, swap, processes, files, ptys, shared
 * memory) and leave the rest unlimited. Swap follows OpenVZ's vswap pattern (2 x RAM).
 */
import type { SampleConfig } from '@vzkit/core';

const header = (what: string) => `# vzkit sample config: ${what}
# Beancounters are barrier:limit; sizes take K, M, G; unset ones are unlimited.
# Change any of them live: vzctl set CTID --ram 1G --numproc 500 --save
`;

function vswap(ram: string, swap: string): SampleConfig {
  return {
    name: `vswap-${ram.toLowerCase()}`,
    text: `${header(`${ram} of RAM and ${swap} of swap, everything else unlimited (OpenVZ's ve-vswap-${ram.toLowerCase()})`)}
PHYSPAGES="0:${ram}"
SWAPPAGES="0:${swap}"
`,
  };
}

export const UBC_SAMPLES: readonly SampleConfig[] = [
  // The default sample (CONFIGFILE): every VE made without --config has these. No
  // AVNUMPROC, which is advice only: it would refuse a `create --numproc` below it.
  {
    name: 'basic',
    text: `${header('a general-purpose VE (a few services, a few users)')}
PHYSPAGES="0:512M"
SWAPPAGES="0:1G"
NUMPROC="1000:1000"
NUMFILE="8192:16384"
NUMPTY="64:64"
NUMSIGINFO="1024:1024"
SHMPAGES="128M:128M"
LOCKEDPAGES="8M:8M"
OOMGUARPAGES="128M:unlimited"
`,
  },
  {
    name: 'light',
    text: `${header('a small VE (one service: a web server, a resolver)')}
PHYSPAGES="0:128M"
SWAPPAGES="0:256M"
NUMPROC="100:100"
AVNUMPROC="40:40"
NUMFILE="1024:4096"
NUMPTY="8:8"
NUMSIGINFO="256:256"
SHMPAGES="32M:32M"
LOCKEDPAGES="4M:4M"
`,
  },
  {
    name: 'unlimited',
    text: `${header('no limits at all (trusted workloads, benchmarks)')}
PHYSPAGES="0:unlimited"
NUMPROC="unlimited"
NUMFILE="unlimited"
`,
  },
  vswap('256M', '512M'),
  vswap('512M', '1G'),
  vswap('1G', '2G'),
  vswap('2G', '4G'),
];
