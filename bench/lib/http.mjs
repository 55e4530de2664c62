// HTTP in the benchmarks: the 4.2 KB page of the original announcement, busybox httpd
// serving it (in VEs: their template's rcS starts `httpd -h /var/www`; on the host: one
// process per address), checks that pages are served (Node's fetch, run inside the
// bench's network namespace) and load with wrk spread over many addresses.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, sleep } from './measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The 4.2 KB static page of the original announcement. */
export const PAGE = `<html><body>${'x'.repeat(4200 - 27)}</body></html>\n`;

/** Writes the page as /var/www/index.html of a VE's private area (before its start). */
export function writePage(upper) {
  const www = join(upper, 'var/www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), PAGE);
}

/** One fetch-check.mjs per namespace, started on first use and killed with the namespace. */
const fetchers = new WeakMap();

function fetcher(netns) {
  let f = fetchers.get(netns);
  if (f) return f;
  const child = netns.spawn([process.execPath, join(here, 'fetch-check.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('exit', () => { for (const w of waiting.splice(0)) w.reject(new Error('the fetch helper ended')); });
  f = {
    check: (urls, deadlineMs) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the fetch helper in ${deadlineMs / 1000 + 30} s`)), deadlineMs + 30_000);
      waiting.push({ resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      child.stdin.write(JSON.stringify({ deadlineMs, urls }) + '\n');
    }),
  };
  fetchers.set(netns, f);
  return f;
}

/**
 * Fetches every URL from inside the namespace (Node's fetch) until each answers 200 or
 * `deadlineMs` passes: { ok: count, failed: [{ url, error }], ms: [time to the first 200 of each] }.
 */
export function fetchAll(netns, urls, deadlineMs) {
  if (!urls.length) return Promise.resolve({ ok: 0, failed: [], ms: [], bytes: 0 });
  return fetcher(netns).check(urls, deadlineMs);
}

/** Parses wrk's report: requests per second and per minute, requests, errors. */
function wrkResult(stdout) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  if (!Number.isFinite(rps)) return null;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Math.round(rps),
    perMinute: Math.round(rps * 60),
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    socketErrors: sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : null,
  };
}

/** wrk against one URL from inside the namespace. */
export function wrk(netns, url, { threads = 2, connections = 16, seconds, script } = {}) {
  const argv = ['wrk', '-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, ...(script ? ['-s', script] : []), url];
  return wrkResult(run(netns.inNs(argv), { allowFail: true, timeout: (seconds + 60) * 1000 }).stdout);
}

/**
 * wrk with one thread and one connection per address: a Lua `setup(thread)` gives each
 * thread its own server (wrk's documented thread.addr), so the load is spread evenly.
 */
export function wrkSpread(netns, addrs, { port = 80, path = '/index.html', seconds, dir }) {
  const script = join(dir, `spread-${addrs.length}-${port}.lua`);
  writeFileSync(script, [
    `local addrs = { ${addrs.map((a) => JSON.stringify(a)).join(', ')} }`,
    'local n = 0',
    'function setup(thread)',
    '  n = n + 1',
    `  thread.addr = wrk.lookup(addrs[(n - 1) % #addrs + 1], "${port}")[1]`,
    'end',
    '',
  ].join('\n'));
  return wrk(netns, `http://${addrs[0]}:${port}${path}`, { threads: addrs.length, connections: addrs.length, seconds, script });
}

/**
 * Busybox httpd processes in the namespace, one per address (port 80), serving `dir`:
 * the host side of an overhead comparison. Resolves with their pids (each is the httpd
 * itself: nsenter execs it); `stop()` kills exactly those.
 */
export async function hostHttpds(netns, addrs, dir) {
  const procs = addrs.map((a) => netns.spawn(['/bin/busybox', 'httpd', '-f', '-p', `${a}:80`, '-h', dir], { stdio: 'ignore' }));
  await sleep(300);
  return {
    pids: procs.map((p) => p.pid),
    stop() {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}
