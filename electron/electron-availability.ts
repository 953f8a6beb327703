import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Whether Electron can open a window here, and if not, why (in words for the user).
// The electron npm package finds its binary through path.txt, written when the
// binary is downloaded; a checkout with install scripts off has neither.

const WINDOWED_ALWAYS: NodeJS.Platform[] = ['darwin', 'win32'];

/** Why no window can be shown, or null when there is a display. */
export function displayProblem(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  if (WINDOWED_ALWAYS.includes(platform)) return null;
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
}

/** The Electron executable in `electronPackageDir`, or undefined when it is not installed. */
export function electronBinaryPath(electronPackageDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let relative: string;
  try {
    relative = readFileSync(join(electronPackageDir, 'path.txt'), 'utf8').trim();
  } catch {
    return undefined;
  }
  const binary = join(env.ELECTRON_OVERRIDE_DIST_PATH ?? join(electronPackageDir, 'dist'), relative);
  return relative && existsSync(binary) ? binary : undefined;
}
