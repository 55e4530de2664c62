#!/usr/bin/env node
// vzunshare [--hostname NAME] [--] COMMAND [ARG...]
import { createLinuxHost } from '@vzkit/linux';
import { isVzError } from '@vzkit/core';
import { unshare } from './index.js';

const args = process.argv.slice(2);
let hostname: string | undefined;
while (args[0]?.startsWith('-')) {
  const a = args.shift()!;
  if (a === '--') break;
  if (a === '--hostname' && args.length) hostname = args.shift();
  else {
    process.stderr.write(`vzunshare: unknown option ${a}\nusage: vzunshare [--hostname NAME] [--] COMMAND [ARG...]\n`);
    process.exit(20);
  }
}
if (args.length === 0) {
  process.stderr.write('usage: vzunshare [--hostname NAME] [--] COMMAND [ARG...]\n');
  process.exit(20);
}
try {
  await unshare({ argv: args, ...(hostname ? { hostname } : {}), host: await createLinuxHost() });
} catch (e) {
  process.stderr.write(`vzunshare: ${(e as Error).message}\n`);
  process.exit(isVzError(e) ? e.exit : 3);
}
