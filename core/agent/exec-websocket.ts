import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../log/logger.ts';
import type { ExecSession } from './container-runtime.ts';

// Kubernetes' remotecommand protocol over WebSocket (kubectl exec and attach), as
// apimachinery's wsstream and client-go's remotecommand speak it: every message starts
// with a channel (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize); the v4+
// protocols report the end as a JSON metav1.Status on channel 3 (kubectl exits with
// the code it carries); v5 adds channel 255, "the client closed this stream", so a
// piped stdin reaches EOF. The base64 variants carry the channel as an ASCII digit
// and the data base64-encoded in text messages (for browsers).

export const REMOTE_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;
export type RemoteCommandProtocol = (typeof REMOTE_COMMAND_PROTOCOLS)[number];

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * The protocol to answer with: the first one the client offers that we speak, as
 * wsstream's handshake does. No offer at all means the original "channel.k8s.io";
 * offers we speak none of give undefined (refuse the upgrade).
 */
export function chooseRemoteCommandProtocol(offered: string[]): RemoteCommandProtocol | undefined {
  if (offered.length === 0) return 'channel.k8s.io';
  return offered.find((p): p is RemoteCommandProtocol => (REMOTE_COMMAND_PROTOCOLS as readonly string[]).includes(p));
}

export function parseOfferedProtocols(header: string | undefined): string[] {
  return (header ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

const isBase64 = (protocol: string) => protocol.includes('base64');
const reportsStatus = (protocol: string) => protocol.startsWith('v4.') || protocol.startsWith('v5.');

export function encodeFrame(protocol: string, channel: number, data: Buffer): Buffer | string {
  if (isBase64(protocol)) return String.fromCharCode(48 + channel) + data.toString('base64');
  return Buffer.concat([Buffer.from([channel]), data]);
}

export function decodeFrame(protocol: string, message: Buffer): { channel: number; data: Buffer } | undefined {
  if (message.length === 0) return undefined;
  if (isBase64(protocol)) return { channel: message[0] - 48, data: Buffer.from(message.subarray(1).toString('latin1'), 'base64') };
  return { channel: message[0], data: message.subarray(1) };
}

/** What channel 3 carries when the process ends, as the kubelet writes it. */
export function exitStatus(exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${exitCode}`,
    reason: 'NonZeroExitCode',
    // kubectl parses the code as a uint8.
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode & 0xff) }] },
  };
}

export function failureStatus(message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/**
 * Runs one exec or attach over an accepted WebSocket: starts (or attaches to) the
 * process with `start`, relays the channels, reports how it ended, and closes the socket normally (which is how
 * the client learns that stdout and stderr are complete). Resolves when done.
 */
export async function serveRemoteCommand(
  socket: WebSocket,
  protocol: RemoteCommandProtocol,
  options: RemoteCommandOptions,
  start: () => Promise<ExecSession>,
  logger?: Logger,
): Promise<void> {
  let session: ExecSession | undefined;
  const early: Buffer[] = [];
  let clientGone = false;
  let stdinEnded = false;
  const endStdin = () => {
    if (stdinEnded || !session?.stdin) return;
    stdinEnded = true;
    session.stdin.end();
  };

  const onFrame = (message: Buffer) => {
    const frame = decodeFrame(protocol, message);
    if (!frame || !session) return;
    if (frame.channel === CHANNEL.stdin) {
      if (!stdinEnded) session.stdin?.write(frame.data);
    } else if (frame.channel === CHANNEL.resize) {
      resize(session, frame.data, logger);
    } else if (frame.channel === CHANNEL.close && protocol.startsWith('v5.') && frame.data[0] === CHANNEL.stdin) {
      endStdin();
    }
  };
  socket.on('message', (data: RawData) => {
    const message = toBuffer(data);
    if (session) onFrame(message);
    else early.push(message);
  });
  socket.on('close', () => {
    clientGone = true;
    endStdin();
    // Nobody reads the output any more: let go of the process (an attached container
    // runs on; without this its stream, and this function, would wait for it to exit).
    session?.detach();
  });
  socket.on('error', () => socket.terminate());

  const send = (channel: number, data: Buffer) =>
    new Promise<void>((resolve) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(encodeFrame(protocol, channel, data), () => resolve());
    });
  const sendStatus = async (status: Record<string, unknown>) => {
    if (reportsStatus(protocol)) await send(CHANNEL.error, Buffer.from(JSON.stringify(status)));
    else if (status.status !== 'Success') await send(CHANNEL.error, Buffer.from(String(status.message)));
  };

  try {
    session = await start();
  } catch (error) {
    await sendStatus(failureStatus((error as Error).message));
    socket.close(1000);
    return;
  }
  if (!options.stdin) endStdin();
  for (const message of early.splice(0)) onFrame(message);
  if (clientGone) {
    endStdin();
    session.detach();
  }

  const relays = [relay(session.stdout, options.stdout ? (d) => send(CHANNEL.stdout, d) : undefined)];
  if (session.stderr) relays.push(relay(session.stderr, options.stderr ? (d) => send(CHANNEL.stderr, d) : undefined));
  await Promise.all(relays);
  let status: Record<string, unknown>;
  try {
    status = exitStatus(await session.exitCode);
  } catch (error) {
    status = failureStatus((error as Error).message);
  }
  await sendStatus(status);
  if (socket.readyState === socket.OPEN) socket.close(1000);
}

/** Copies a process stream to the socket one chunk at a time (backpressure); without a sink it is drained. */
async function relay(stream: NodeJS.ReadableStream, sink: ((data: Buffer) => Promise<void>) | undefined): Promise<void> {
  const done = finished(stream as Readable).catch(() => undefined);
  stream.on('data', (chunk: Buffer | string) => {
    if (!sink) return;
    stream.pause();
    void sink(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)).then(() => stream.resume());
  });
  await done;
}

function resize(session: ExecSession, data: Buffer, logger?: Logger): void {
  try {
    const size = JSON.parse(data.toString('utf8')) as { Width?: number; Height?: number };
    if (size.Width && size.Height) {
      session.resize(size.Width, size.Height).catch((e) => logger?.debug('terminal resize failed', { error: String(e) }));
    }
  } catch {
    logger?.debug('ignored a malformed resize message', { data: data.toString('utf8').slice(0, 100) });
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
