/** Integration tests build the launcher themselves (idempotent make), so they need no prior pnpm build. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function buildLauncher(): string {
  const dir = fileURLToPath(new URL('../native', import.meta.url));
  execFileSync('make', ['-s', '-C', dir], { stdio: 'inherit' });
  return join(dir, 'build/vzlaunch');
}
