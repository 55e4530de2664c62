/**
 * `vzcfgvalidate [-r] [-v yes|no] FILE`: checks a VE config for consistency, with
 * OpenVZ's rules, messages and exit codes (0 valid, 2 not, 1 when it cannot check).
 * Three kinds of finding: Error and Warning fail the validation, Recommendation does not.
 * A VSwap config (a finite RAM limit, or `-v yes`) is checked for its RAM and swap
 * alone; any other for the classic beancounter rules. Unlike OpenVZ, a beancounter the
 * file does not set is unlimited, not missing: rules about it are skipped. vzkit's own
 * rules (every value parses; a swap limit needs a RAM limit; ...) come first. `-r`
 * repairs what a rule knows how to, in place, keeping the file's comments.
 */
import { ConfigFile, ConfigParseError, isVzError, LONG_MAX_TEXT, parseKeyValue, UNLIMITED, vzError, type BarrierLimit, type CommandDecl, type ConfigKey } from '@vzkit/core';
import { AVNUMPROC, UBC_KEYS } from './config.js';
import { hostMemory } from './host-memory.js';
import { limitsProblem } from './validate.js';

export type Severity = 'Error' | 'Warning' | 'Recommendation';

export interface Finding {
  severity: Severity;
  message: string;
  /** The values that settle it (`-r`), by beancounter name. */
  fix?: Record<string, BarrierLimit>;
}

const K = 1024;
const show = (n: number) => (Number.isFinite(n) ? String(n) : LONG_MAX_TEXT);
const pair = (v: BarrierLimit) => `${show(v.barrier)}:${show(v.limit)}`;

/**
 * The findings of OpenVZ's rules (src/validate.c) on the beancounters a config sets.
 * `host` gives the RAM and swap in pages for the VSwap rules.
 */
export function checkBeancounters(limits: ReadonlyMap<string, BarrierLimit>, vswap: boolean, host: { ramPages: number; swapPages: number }, avnumprocSet?: BarrierLimit): Finding[] {
  const out: Finding[] = [];
  const get = (n: string) => limits.get(n);
  if (vswap) {
    for (const [name, max] of [['physpages', host.ramPages], ['swappages', host.swapPages]] as const) {
      const v = get(name);
      if (!v) {
        out.push({ severity: 'Error', message: `parameter ${name} not found` });
        continue;
      }
      if (v.barrier !== 0) out.push({ severity: 'Error', message: `${name}.bar should be = 0 (currently, ${show(v.barrier)})`, fix: { [name]: { barrier: 0, limit: v.limit } } });
      if (v.limit > max) out.push({ severity: 'Warning', message: `${name}.lim should be <= ${max} (currently, ${show(v.limit)})`, fix: { [name]: { barrier: 0, limit: max } } });
    }
    return out;
  }
  const numproc = get('numproc');
  const avnumproc = avnumprocSet?.barrier ?? (numproc ? Math.floor(numproc.barrier / 2) : Infinity);
  for (const name of ['numproc', 'numtcpsock', 'numothersock', 'shmpages', 'numfile', 'numpty', 'numsiginfo', 'numiptent']) {
    const v = get(name);
    if (v && v.barrier !== v.limit) {
      const both = Math.max(v.barrier, v.limit);
      out.push({ severity: 'Error', message: `barrier should be equal to limit for ${name} (currently, ${pair(v)})`, fix: { [name]: { barrier: both, limit: both } } });
    }
  }
  for (const name of ['vmguarpages', 'oomguarpages']) {
    const v = get(name);
    if (v && Number.isFinite(v.limit)) {
      out.push({ severity: 'Error', message: `limit should be = ${LONG_MAX_TEXT} for ${name} (currently, ${show(v.limit)})`, fix: { [name]: { barrier: v.barrier, limit: UNLIMITED } } });
    }
  }
  const phys = get('physpages');
  if (phys && phys.barrier !== 0) out.push({ severity: 'Error', message: `barrier should be = 0 for physpages (currently, ${show(phys.barrier)})`, fix: { physpages: { barrier: 0, limit: phys.limit } } });

  // The formulas, each skipped when what it needs is unlimited (nothing to keep room for).
  const rule = (severity: Severity, ok: boolean, message: string, fix?: Finding['fix']) => {
    if (!ok) out.push({ severity, message, ...(fix ? { fix } : {}) });
  };
  const finite = (...xs: number[]) => xs.every(Number.isFinite);
  const dcache = get('dcachesize');
  const numfile = get('numfile');
  if (dcache && numfile && finite(dcache.limit, numfile.barrier)) {
    const want = numfile.barrier * 384;
    rule('Warning', dcache.limit >= want, `dcachesize.lim should be > ${want} (currently, ${show(dcache.limit)})`, { dcachesize: { barrier: Math.min(dcache.barrier, want), limit: want } });
  }
  const kmem = get('kmemsize');
  if (kmem && finite(kmem.barrier, avnumproc, dcache?.limit ?? 0)) {
    const want = 40 * K * avnumproc + (dcache?.limit ?? 0);
    rule('Error', kmem.barrier >= want, `kmemsize.bar should be > ${want} (currently, ${show(kmem.barrier)})`, { kmemsize: { barrier: want, limit: kmem.limit + want - kmem.barrier } });
  }
  const privvm = get('privvmpages');
  const vmguar = get('vmguarpages');
  if (privvm && vmguar && finite(privvm.barrier, vmguar.barrier)) {
    rule('Warning', privvm.barrier >= vmguar.barrier, `privvmpages.bar should be > ${vmguar.barrier} (currently, ${show(privvm.barrier)})`,
      { privvmpages: { barrier: vmguar.barrier, limit: Math.max(privvm.limit, vmguar.barrier) } });
  }
  const gap = (buf: string, socks: string, severity: Severity) => {
    const b = get(buf);
    const s = get(socks);
    if (!b || !s || !finite(b.barrier, b.limit, s.barrier)) return;
    const want = Math.floor(2.5 * K * s.barrier);
    rule(severity, b.limit - b.barrier >= want, `${buf}.lim-${buf}.bar should be > ${want} (currently, ${b.limit}-${b.barrier}=${b.limit - b.barrier})`,
      { [buf]: { barrier: b.barrier, limit: b.barrier + want } });
  };
  gap('tcpsndbuf', 'numtcpsock', 'Error');
  gap('othersockbuf', 'numothersock', 'Error');
  gap('tcprcvbuf', 'numtcpsock', 'Warning');
  for (const buf of ['tcprcvbuf', 'tcpsndbuf']) {
    const b = get(buf);
    if (b && Number.isFinite(b.barrier)) {
      rule('Warning', b.barrier >= 64 * K, `${buf}.bar should be > ${64 * K} (currently, ${b.barrier})`, { [buf]: { barrier: 64 * K, limit: b.limit + 64 * K - b.barrier } });
    }
  }
  for (const buf of ['dgramrcvbuf', 'othersockbuf']) {
    const b = get(buf);
    if (!b || !Number.isFinite(b.barrier)) continue;
    if (b.barrier < 32 * K) rule('Warning', false, `${buf}.bar should be > ${32 * K} (currently, ${b.barrier})`, { [buf]: { barrier: 32 * K, limit: b.limit + 32 * K - b.barrier } });
    else rule('Recommendation', b.barrier >= 129 * K, `${buf}.bar should be > ${129 * K} (currently, ${b.barrier})`, { [buf]: { barrier: 129 * K, limit: b.limit + 129 * K - b.barrier } });
  }
  if (numfile && Number.isFinite(numfile.barrier)) {
    const socks = ['numtcpsock', 'numothersock', 'numpty'].map((n) => get(n)?.barrier ?? 0).reduce((a, b) => a + b, 0);
    const want = Math.max(Number.isFinite(avnumproc) ? avnumproc * 32 : 0, Number.isFinite(socks) ? socks : 0);
    rule('Warning', numfile.barrier >= want, `numfile should be > ${want} (currently, ${numfile.barrier})`, { numfile: { barrier: want, limit: numfile.limit + want - numfile.barrier } });
  }
  return out;
}

export interface Validation {
  findings: Finding[];
  /** Findings that no repair settles (values that do not parse, vzkit's own rules). */
  fatal: number;
  limits: Map<string, BarrierLimit>;
}

/** Every check on a parsed config file: values, vzkit's rules, OpenVZ's. */
export function validateConfig(file: ConfigFile, keys: readonly ConfigKey<any>[], vswapMode: boolean | undefined, host: { ramPages: number; swapPages: number; pageSize: number }): Validation {
  const findings: Finding[] = [];
  let fatal = 0;
  const limits = new Map<string, BarrierLimit>();
  let avnumproc: BarrierLimit | undefined;
  for (const key of keys) {
    const raw = file.get(key.name);
    if (raw === undefined || raw === '') continue;
    try {
      const v = parseKeyValue(key, raw, 'config');
      if (UBC_KEYS.get(key.name.toLowerCase()) === key) limits.set(key.name.toLowerCase(), v as BarrierLimit);
      if (key.name === AVNUMPROC.name) avnumproc = v as BarrierLimit;
    } catch (e) {
      if (!isVzError(e)) throw e;
      findings.push({ severity: 'Error', message: e.message.replace(/^config: /, '') });
      fatal++;
    }
  }
  const problem = limitsProblem(limits, host.pageSize, avnumproc);
  if (problem) {
    findings.push({ severity: 'Error', message: problem });
    fatal++;
  }
  const vswap = vswapMode ?? Number.isFinite(limits.get('physpages')?.limit ?? Infinity);
  findings.push(...checkBeancounters(limits, vswap, host, avnumproc));
  return { findings, fatal, limits };
}

const USAGE = 'Usage: vzcfgvalidate [-r] [-v yes|no] <configfile>';

export const vzcfgvalidateCommand: CommandDecl = {
  tool: 'vzcfgvalidate',
  name: 'vzcfgvalidate',
  summary: 'check a container config for consistency (exit 2 when it is not)',
  usage: `${USAGE}
  -r          repair mode: correct the file in place
  -v yes|no   treat it as a VSwap config or not (default: VSwap when the RAM limit is set)`,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    let repair = false;
    let vswap: boolean | undefined;
    const files: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-r') repair = true;
      else if (a === '-i') throw vzError('UNSUPPORTED', 'interactive repair (-i) is not offered: use -r, and read the findings first without it', { exit: 1 });
      else if (a === '-v') {
        const v = argv[++i];
        if (v !== 'yes' && v !== 'no') throw vzError('BAD_PARAM', `Invalid argument for -v: ${v ?? ''}`, { exit: 1, hint: USAGE });
        vswap = v === 'yes';
      } else if (a.startsWith('-')) throw vzError('BAD_PARAM', `unknown option ${a}`, { exit: 1, hint: USAGE });
      else files.push(a);
    }
    if (files.length !== 1) throw vzError('BAD_PARAM', files.length ? `unexpected argument ${files[1]}` : 'no config file given', { exit: 1, hint: USAGE });
    const path = files[0]!;
    const fs = api.runtime.host.fs;
    const text = await fs.readFile(path).catch(() => undefined);
    if (text === undefined) throw vzError('VE_NOT_FOUND', `Container configuration file ${path} not found`, { exit: 1 });
    let file: ConfigFile;
    try {
      file = ConfigFile.parse(text);
    } catch (e) {
      if (e instanceof ConfigParseError) throw vzError('BAD_CONFIG', `${path}: ${e.message}`, { exit: 1 });
      throw e;
    }
    const mem = await hostMemory(api.runtime.host);
    const host = { ramPages: Math.floor(mem.ram / mem.pageSize), swapPages: Math.floor(mem.swap / mem.pageSize), pageSize: mem.pageSize };
    const v = validateConfig(file, api.runtime.configKeys, vswap, host);
    let failed = false;
    const fixes: Record<string, BarrierLimit> = {};
    for (const f of v.findings) {
      api.out(`${f.severity}: ${f.message}`);
      if (repair && f.fix) {
        for (const [name, value] of Object.entries(f.fix)) {
          fixes[name] = value;
          api.out(`set to ${pair(value)}`);
        }
      } else if (f.severity !== 'Recommendation') failed = true;
    }
    if (repair && Object.keys(fixes).length) {
      for (const [name, value] of Object.entries(fixes)) file.set(UBC_KEYS.get(name)!.name, UBC_KEYS.get(name)!.type.format(value));
      await fs.writeFile(path, file.toString());
    }
    if (failed) return 2;
    api.out('Validation completed: success');
    return 0;
  },
};
