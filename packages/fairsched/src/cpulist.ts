/** CPU lists as the kernel writes them (`0-2,7`): parsing, printing, validation. */
import { ValueError } from '@vzkit/core';

/** `0-2,7` → [0, 1, 2, 7] (sorted, unique); ValueError on bad syntax. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new ValueError(`'${text}' is not a CPU list such as 0-2,7`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new ValueError(`'${part}' counts down in CPU list '${text}'`);
    if (b > 4095) throw new ValueError(`CPU ${b} in '${text}' is above 4095`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** [0, 1, 2, 7] → `0-2,7`. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
