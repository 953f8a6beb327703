// The wire protocol between the host's service proxy and a node proxy container, spoken
// over the container's stdin (host -> proxy) and stdout (proxy -> host, after Docker's
// demux). Both sides use this file; the in-container program bundles it.
//
// Frames, big-endian: type u8, streamId u32, length u32, payload[length].
//   1 CONFIG  host->proxy, id 0, JSON ProxyConfig; replaces the previous one completely.
//   2 OPEN    JSON OpenTarget. Host->proxy: connect to a pod on your node (a UDP flow
//             when the target says protocol UDP).
//             Proxy->host: relay me to ip:port on node `node`. Host ids even, proxy ids odd.
//   3 OPENED  reply to OPEN, empty.
//   4 DATA    bytes.
//   5 END     half close: the sender sends no more DATA on this stream.
//   6 RESET   UTF-8 reason; both directions stop and the stream is destroyed.
//   7 LOG     proxy->host, id 0, JSON LogEntry.
//
// Decisions where the design left a gap:
// - Stream ids start at 2 (host) and 1 (proxy); 0 is the link itself (CONFIG, LOG).
// - A DATA frame carries at most MAX_DATA_FRAME bytes; a frame longer than MAX_FRAME_LENGTH,
//   an unknown frame type or a control frame (CONFIG, LOG) on a stream id is a protocol
//   error: the link closes (both sides then start over, see below).
// - Frames for an unknown stream id are dropped, except OPENED/DATA/END, which are answered
//   with RESET so the peer stops sending.
// - Flow control: a stream's write completes only when the link's output has drained once it
//   holds over MUX_WRITE_BUFFER_LIMIT; incoming DATA pauses the link's input while a stream's
//   reader is more than MUX_READ_BUFFER_LIMIT behind (simple, can stall other streams briefly).
// - There is no resynchronisation: a link is good from a container's start to its exit. The
//   host must attach before it starts the container, and restart the container when it
//   attaches again (a half-written frame from a previous attach would garble the stream).
import { EventEmitter } from 'node:events';
import { Duplex, type Readable, type Writable } from 'node:stream';

export const FRAME_HEADER_LENGTH = 9;
export const MAX_FRAME_LENGTH = 16 * 1024 * 1024;
export const MAX_DATA_FRAME = 256 * 1024;
export const MUX_WRITE_BUFFER_LIMIT = 1024 * 1024;
export const MUX_READ_BUFFER_LIMIT = 1024 * 1024;

export const FrameType = {
  Config: 1,
  Open: 2,
  Opened: 3,
  Data: 4,
  End: 5,
  Reset: 6,
  Log: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  streamId: number;
  payload: Buffer;
}

export interface Backend {
  ip: string;
  port: number;
  /** Node the endpoint's pod runs on. */
  node: string;
}

export interface ServicePortEntry {
  name: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  /** Ready endpoints only. */
  backends: Backend[];
}

export interface ServiceEntry {
  namespace: string;
  name: string;
  /** null: headless, DNS answers the ready pod IPs and nothing listens. */
  clusterIP: string | null;
  sessionAffinity: 'None' | 'ClientIP';
  affinityTimeoutSeconds: number;
  ports: ServicePortEntry[];
  /** For DNS of headless services. */
  readyPodIps: string[];
}

export interface ProxyConfig {
  node: string;
  dnsIp: string;
  clusterDomain: string;
  services: ServiceEntry[];
}

export interface OpenTarget extends Backend {
  /** UDP: the stream carries framed datagrams for a UDP socket (udp-flows.ts); TCP when absent. */
  protocol?: 'UDP';
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  [field: string]: unknown;
}

export function encodeFrame(type: FrameType, streamId: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(FRAME_HEADER_LENGTH);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(streamId, 1);
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

export class ProtocolError extends Error {}

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

/** Incremental decoder: feed it chunks as they arrive, it returns every completed frame. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const frames: Frame[] = [];
    while (this.pendingLength >= FRAME_HEADER_LENGTH) {
      const buffered = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [buffered];
      const type = buffered.readUInt8(0);
      const streamId = buffered.readUInt32BE(1);
      const length = buffered.readUInt32BE(5);
      if (!KNOWN_TYPES.has(type)) throw new ProtocolError(`unknown frame type ${type}`);
      if (length > MAX_FRAME_LENGTH) throw new ProtocolError(`frame of ${length} bytes exceeds ${MAX_FRAME_LENGTH}`);
      if (buffered.length < FRAME_HEADER_LENGTH + length) break;
      const end = FRAME_HEADER_LENGTH + length;
      // Copy the payload so a retained DATA chunk doesn't pin the whole read buffer.
      frames.push({ type: type as FrameType, streamId, payload: Buffer.from(buffered.subarray(FRAME_HEADER_LENGTH, end)) });
      const rest = buffered.subarray(end);
      this.pending = rest.length ? [rest] : [];
      this.pendingLength = rest.length;
    }
    return frames;
  }

  /** Bytes received that don't yet form a whole frame. */
  get bufferedLength(): number {
    return this.pendingLength;
  }
}

/** One connection carried over a MuxLink. Ending it sends END; destroying it sends RESET. */
export class MuxStream extends Duplex {
  /** Set once the peer sent END. */
  remoteEnded = false;
  private resetReceived = false;
  private localEnded = false;

  constructor(
    readonly id: number,
    readonly target: OpenTarget,
    private readonly link: MuxLink,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: MUX_READ_BUFFER_LIMIT });
    // A peer's RESET must never crash the process, even before anyone holds the stream;
    // whoever uses the stream listens for 'error' itself (joinStreams does).
    this.on('error', () => {});
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.link.sendData(this.id, chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.localEnded = true;
    this.link.sendFrame(FrameType.End, this.id);
    callback();
  }

  override _read(): void {
    this.link.readResumed();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const cleanlyClosed = !error && this.localEnded && this.remoteEnded;
    if (!this.resetReceived && !cleanlyClosed) this.link.sendFrame(FrameType.Reset, this.id, error?.message ?? 'closed');
    this.link.forget(this.id);
    callback(error);
  }

  /** @internal peer frames */
  receiveData(payload: Buffer): boolean {
    return this.push(payload);
  }

  /** @internal */
  receiveEnd(): void {
    this.remoteEnded = true;
    this.push(null);
  }

  /** @internal */
  receiveReset(reason: string): void {
    this.resetReceived = true;
    this.destroy(new Error(`stream reset by peer: ${reason}`));
  }
}

export type OpenHandler = (target: OpenTarget) => Promise<Duplex>;

export interface MuxLinkOptions {
  /** Picks the stream id parity: host even, proxy odd. */
  side: 'host' | 'proxy';
  /** Serves OPEN from the peer: connect and resolve with the connection (it is joined to the stream). */
  onOpen?: OpenHandler;
}

export interface MuxLinkEvents {
  config: [config: ProxyConfig];
  log: [entry: LogEntry];
  /** The link is gone (input ended, failed, or a protocol error); every stream was destroyed. */
  close: [reason: Error | null];
}

interface PendingOpen {
  stream: MuxStream;
  resolve: (stream: MuxStream) => void;
  reject: (error: Error) => void;
}

/**
 * Frames on a byte stream pair, both sides of the link. Streams opened by either side are
 * Node Duplexes; CONFIG and LOG arrive as events.
 */
export class MuxLink extends EventEmitter<MuxLinkEvents> {
  private readonly decoder = new FrameDecoder();
  private readonly streams = new Map<number, MuxStream>();
  private readonly pendingOpens = new Map<number, PendingOpen>();
  private nextStreamId: number;
  private closed = false;
  private inputPausedForReader = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly options: MuxLinkOptions,
  ) {
    super();
    this.nextStreamId = options.side === 'host' ? 2 : 1;
    input.on('data', (chunk: Buffer) => this.receiveChunk(chunk));
    input.on('end', () => this.close(null));
    input.on('error', (error) => this.close(error));
    output.on('error', (error) => this.close(error));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Streams currently open on this link. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Asks the peer to connect to `target`; resolves once it answered OPENED, rejects on RESET. */
  open(target: OpenTarget): Promise<MuxStream> {
    if (this.closed) return Promise.reject(new Error('mux link is closed'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new MuxStream(id, target, this);
    this.streams.set(id, stream);
    return new Promise<MuxStream>((resolve, reject) => {
      this.pendingOpens.set(id, { stream, resolve, reject });
      this.sendFrame(FrameType.Open, id, JSON.stringify(target));
    });
  }

  sendConfig(config: ProxyConfig): void {
    this.sendFrame(FrameType.Config, 0, JSON.stringify(config));
  }

  sendLog(entry: LogEntry): void {
    this.sendFrame(FrameType.Log, 0, JSON.stringify(entry));
  }

  /** Destroys every stream and stops reading; the byte streams themselves are left to the caller. */
  close(reason: Error | null = null): void {
    if (this.closed) return;
    this.closed = true;
    const error = reason ?? new Error('mux link closed');
    for (const pending of this.pendingOpens.values()) pending.reject(error);
    this.pendingOpens.clear();
    for (const stream of [...this.streams.values()]) stream.destroy(error);
    this.streams.clear();
    this.input.removeAllListeners('data');
    this.emit('close', reason);
  }

  /** @internal */
  sendFrame(type: FrameType, streamId: number, payload?: Buffer | string): boolean {
    if (this.closed || this.output.destroyed || this.output.writableEnded) return false;
    return this.output.write(encodeFrame(type, streamId, payload));
  }

  /** @internal Writes DATA and calls back once the link may take more. */
  sendData(streamId: number, chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.closed) return callback(new Error('mux link is closed'));
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_FRAME) {
      this.sendFrame(FrameType.Data, streamId, chunk.subarray(offset, offset + MAX_DATA_FRAME));
    }
    if (this.output.writableLength > MUX_WRITE_BUFFER_LIMIT && this.output.writableNeedDrain) {
      const done = () => {
        this.output.off('drain', done);
        this.off('close', done);
        callback(this.closed ? new Error('mux link is closed') : null);
      };
      this.output.on('drain', done);
      this.on('close', done);
    } else {
      callback();
    }
  }

  /** @internal */
  forget(streamId: number): void {
    this.streams.delete(streamId);
    const pending = this.pendingOpens.get(streamId);
    if (pending) {
      this.pendingOpens.delete(streamId);
      pending.reject(new Error('stream closed before it was opened'));
    }
  }

  /** @internal A stream's reader wants more: resume the input if it was paused for one. */
  readResumed(): void {
    if (!this.inputPausedForReader || this.closed) return;
    this.inputPausedForReader = false;
    this.input.resume();
  }

  private receiveChunk(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.close(error as Error);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.receiveFrame(frame);
    }
  }

  private receiveFrame(frame: Frame): void {
    const { type, streamId, payload } = frame;
    if (type === FrameType.Config || type === FrameType.Log) {
      if (streamId !== 0) return this.close(new ProtocolError(`frame type ${type} on stream ${streamId}`));
      const parsed = this.parseJson(payload);
      if (parsed === undefined) return;
      if (type === FrameType.Config) this.emit('config', parsed as ProxyConfig);
      else this.emit('log', parsed as LogEntry);
      return;
    }
    if (type === FrameType.Open) return this.receiveOpen(streamId, payload);

    const stream = this.streams.get(streamId);
    if (!stream) {
      // The peer still thinks the stream is alive: tell it to stop.
      if (type !== FrameType.Reset) this.sendFrame(FrameType.Reset, streamId, 'unknown stream');
      return;
    }
    switch (type) {
      case FrameType.Opened: {
        const pending = this.pendingOpens.get(streamId);
        this.pendingOpens.delete(streamId);
        pending?.resolve(stream);
        return;
      }
      case FrameType.Data:
        if (!stream.receiveData(payload) && !this.inputPausedForReader) {
          this.inputPausedForReader = true;
          this.input.pause();
        }
        return;
      case FrameType.End:
        stream.receiveEnd();
        return;
      case FrameType.Reset: {
        const reason = payload.toString('utf8');
        const pending = this.pendingOpens.get(streamId);
        this.pendingOpens.delete(streamId);
        pending?.reject(new Error(`open ${stream.target.ip}:${stream.target.port} on ${stream.target.node} failed: ${reason}`));
        stream.receiveReset(reason);
        return;
      }
    }
  }

  private receiveOpen(streamId: number, payload: Buffer): void {
    const target = this.parseJson(payload) as OpenTarget | undefined;
    if (!target) return;
    const handler = this.options.onOpen;
    if (!handler || this.streams.has(streamId)) {
      this.sendFrame(FrameType.Reset, streamId, handler ? 'stream id in use' : 'this side accepts no OPEN');
      return;
    }
    const stream = new MuxStream(streamId, target, this);
    this.streams.set(streamId, stream);
    handler(target).then(
      (connection) => {
        if (stream.destroyed) {
          connection.destroy();
          return;
        }
        this.sendFrame(FrameType.Opened, streamId);
        joinStreams(stream, connection);
      },
      (error: Error) => stream.destroy(error),
    );
  }

  private parseJson(payload: Buffer): unknown {
    try {
      return JSON.parse(payload.toString('utf8'));
    } catch (error) {
      this.close(new ProtocolError(`bad JSON payload: ${(error as Error).message}`));
      return undefined;
    }
  }
}

/**
 * Pipes two duplexes into each other: data and half close flow both ways, and when either
 * fails or is destroyed the other is destroyed too (a MuxStream then sends RESET).
 */
export function joinStreams(a: Duplex, b: Duplex): void {
  let torn = false;
  const tearDown = (error: Error | null) => {
    if (torn) return;
    torn = true;
    a.destroy(error ?? undefined);
    b.destroy(error ?? undefined);
  };
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    from.pipe(to);
    from.on('error', tearDown);
    // A destroy without an error (socket reset, stream closed early) tears down the other side too.
    from.on('close', () => {
      const cleanlyDone = from.readableEnded && (from.writableFinished || !from.writable);
      if (!cleanlyDone) tearDown(new Error('peer closed'));
      else if (to.readableEnded && to.writableFinished) tearDown(null);
    });
  }
}
