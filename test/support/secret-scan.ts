import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every place a value (as it is, or base64 as the API carries it) appears in the .log files of `dir`. */
export function secretsInLogs(dir: string, values: readonly string[]): { files: number; leaks: string[] } {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.log'));
  } catch {
    // no directory: no logs
  }
  const forms = values.flatMap((value) => [value, Buffer.from(value).toString('base64')]);
  const leaks: string[] = [];
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8');
    for (const form of forms) {
      const at = text.indexOf(form);
      if (at >= 0) leaks.push(`${name}: "${form}" in …${text.slice(Math.max(0, at - 80), at + 40).replace(/\n/g, ' ')}…`);
    }
  }
  return { files: names.length, leaks };
}
