import type { BridgeResult } from './bridge-api.ts';
import { isAppUrl } from './app-origin.ts';

// Every bridge call is checked before it runs: it must come from the main window's top
// frame, showing a page of the app's own origin. A page that got into the window some
// other way (a frame, a redirect, a window it opened) gets an error, never an answer.

/** What the main process knows about the frame that sent an IPC message. */
export interface SenderFrameFacts {
  url: string;
  /** The frame has no parent. */
  isTopFrame: boolean;
  /** The frame is the main window's main frame (same process and routing id). */
  isMainWindowFrame: boolean;
}

/** Why a sender is refused, or null when it may call the bridge. */
export function senderRejection(frame: SenderFrameFacts | null, appOrigin: string): string | null {
  if (!frame) return 'the sending frame is gone';
  if (!frame.isTopFrame) return 'the bridge answers only the top frame';
  if (!frame.isMainWindowFrame) return 'the bridge answers only the main window';
  if (!isAppUrl(frame.url, appOrigin)) return `the bridge answers only pages from ${appOrigin}`;
  return null;
}

/** Runs `work` when the sender is accepted; answers `{result}` or `{error}`, never throws. */
export async function answerBridgeCall<T>(rejection: string | null, work: () => T | Promise<T>): Promise<BridgeResult<T>> {
  if (rejection) return { error: `refused: ${rejection}` };
  try {
    return { result: await work() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
