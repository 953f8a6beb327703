import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createLogger } from '../log/logger.ts';

// Where the built GUI lives, building it first when the sources are newer (a fresh
// checkout after `npm ci`, or after editing renderer/). A packaged app ships the build
// and has no Vite; then the build found is used as it is.

const logger = createLogger('renderer-build');
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIST = join(REPO_ROOT, 'dist', 'renderer');

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestMtime(join(path, entry))));
  return Math.max(info.mtimeMs, ...times);
}

/** The directory to serve, or undefined when there is no build and none can be made. */
export async function ensureRendererBuilt(): Promise<string | undefined> {
  const builtAt = await newestMtime(join(RENDERER_DIST, 'index.html'));
  const sources = [join(REPO_ROOT, 'renderer'), join(REPO_ROOT, 'core', 'client'), join(REPO_ROOT, 'core', 'api'), join(REPO_ROOT, 'core', 'manifest')];
  const sourcesAt = Math.max(...(await Promise.all(sources.map(newestMtime))));
  if (builtAt && builtAt >= sourcesAt) return RENDERER_DIST;
  if (sourcesAt === 0) return builtAt ? RENDERER_DIST : undefined;
  try {
    const vite = await import('vite');
    logger.info('building the GUI (renderer/ changed since the last build)');
    await vite.build({ configFile: join(REPO_ROOT, 'vite.config.ts'), root: join(REPO_ROOT, 'renderer'), logLevel: 'warn' });
    return RENDERER_DIST;
  } catch (error) {
    logger.warn('could not build the GUI; serving the API only', { error: (error as Error).message });
    return builtAt ? RENDERER_DIST : undefined;
  }
}
