import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// What quitting the desktop app does to the lab, asked once and remembered: 'keep'
// leaves the pods running (the next start adopts them, as after a kubelet restart),
// 'stop-pods' removes their containers and stops the lab nodes (the next start runs
// them again from the stored objects). Kept in the app's profile as JSON.

export type QuitChoice = 'keep' | 'stop-pods';

export async function readQuitChoice(file: string): Promise<QuitChoice | undefined> {
  try {
    const { choice } = JSON.parse(await readFile(file, 'utf8')) as { choice?: unknown };
    return choice === 'keep' || choice === 'stop-pods' ? choice : undefined;
  } catch {
    return undefined;
  }
}

export async function rememberQuitChoice(file: string, choice: QuitChoice): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ choice }, null, 2)}\n`);
}

/** What the control plane leaves on the nodes for a choice. */
export function leaveOnNodes(choice: QuitChoice): 'pods' | 'volumes' {
  return choice === 'keep' ? 'pods' : 'volumes';
}
