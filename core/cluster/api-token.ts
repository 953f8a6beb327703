import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

// The API's bearer token: made once per data directory and kept there (mode 0600),
// so a kubeconfig written earlier keeps working after a restart.

export async function loadOrCreateToken(tokenFile: string): Promise<string> {
  try {
    const token = (await readFile(tokenFile, 'utf8')).trim();
    if (token.length >= 32) return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return token;
}
