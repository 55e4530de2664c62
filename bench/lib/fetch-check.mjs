// Runs inside a benchmark's network namespace (nsenter ... node fetch-check.mjs): reads one
// JSON request a line on stdin, { deadlineMs, urls }, fetches every URL with Node's fetch,
// retrying each until it answers 200 or the deadline passes, 16 at a time, and answers
// one JSON line on stdout: { ok, failed: [{ url, error }], ms: [...], bytes }. One process
// serves a whole benchmark: no Node start-up per check. Ends at the end of its input.
import { createInterface } from 'node:readline';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function one(url, deadline) {
  const t0 = Date.now();
  let error = 'no attempt';
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(Math.max(200, Math.min(5000, deadline - Date.now()))) });
      const body = await r.arrayBuffer();
      if (r.status === 200) return { url, ok: true, ms: Date.now() - t0, bytes: body.byteLength };
      error = `HTTP ${r.status}`;
    } catch (e) {
      error = e?.cause?.code ?? e?.name ?? String(e);
    }
    if (Date.now() >= deadline) return { url, ok: false, error };
    await sleep(100);
  }
}

async function check({ deadlineMs, urls }) {
  const deadline = Date.now() + deadlineMs;
  const results = new Array(urls.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(16, urls.length) }, async () => {
    while (next < urls.length) {
      const i = next++;
      results[i] = await one(urls[i], deadline);
    }
  }));
  return {
    ok: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok).map(({ url, error }) => ({ url, error })),
    ms: results.filter((r) => r.ok).map((r) => r.ms),
    bytes: results.find((r) => r.ok)?.bytes ?? 0,
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim()) process.stdout.write(JSON.stringify(await check(JSON.parse(line))) + '\n');
}
