// UDP Service ports over byte streams. Node proxies reach other nodes only through mux
// streams, so a UDP "connection" is a flow: the datagrams one client address sends to
// one Service port, carried on a stream of its own as length-prefixed frames, and sent
// on from the far end by a UDP socket connected to the chosen backend. Flows end after
// UDP_FLOW_IDLE_MS without traffic (kube-proxy leaves that to conntrack's UDP timeout),
// and when their backend leaves the Service (kube-proxy clears those conntrack entries,
// else a client that keeps its source port would keep sending into the void).
import dgram from 'node:dgram';
import { Duplex } from 'node:stream';
import type { Backend } from './mux-protocol.ts';

export const UDP_FLOW_IDLE_MS = 30_000;
/** Datagrams held per flow while its stream opens; more are dropped, as a full socket buffer would. */
const PENDING_DATAGRAMS_LIMIT = 64;

/** One datagram as a frame: u16 length, then the bytes (a UDP payload is under 64 KiB). */
export function encodeDatagram(datagram: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(datagram.length);
  return Buffer.concat([prefix, datagram]);
}

/** Splits a byte stream back into datagrams; feed it chunks as they come. */
export class DatagramDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const datagrams: Buffer[] = [];
    while (this.buffered.length >= 2 && this.buffered.length >= 2 + this.buffered.readUInt16BE(0)) {
      const length = this.buffered.readUInt16BE(0);
      datagrams.push(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
    }
    return datagrams;
  }
}

/**
 * A UDP socket connected to ip:port, seen as a stream of framed datagrams: what is written
 * is sent, what the backend answers is read. Destroying the stream closes the socket.
 * Send errors (the backend's port closed, say) drop the datagram, as UDP does.
 */
export function udpDatagramStream(ip: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const decoder = new DatagramDecoder();
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        for (const datagram of decoder.push(chunk)) socket.send(datagram, () => {});
        done();
      },
      final(done) {
        stream.destroy();
        done();
      },
      destroy(error, done) {
        socket.close(() => {});
        done(error);
      },
    });
    socket.on('message', (message) => stream.push(encodeDatagram(message)));
    socket.once('error', reject);
    socket.connect(port, ip, () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // ICMP unreachable and the like: datagrams are lost, the flow goes on
      resolve(stream);
    });
  });
}

interface Flow {
  backend: Backend | undefined;
  stream: Duplex | undefined;
  pending: Buffer[];
  idle: ReturnType<typeof setTimeout>;
}

export interface UdpServiceListenerOptions {
  host: string;
  port: number;
  /** A framed datagram stream to the backend chosen for this client; rejects when there is none. */
  open(clientIp: string): Promise<{ backend: Backend; stream: Duplex }>;
  idleMs?: number;
}

/** One UDP Service port: receives on host:port and gives each client address its own flow. */
export class UdpServiceListener {
  private readonly socket = dgram.createSocket('udp4');
  private readonly flows = new Map<string, Flow>();
  private closed = false;

  constructor(private readonly options: UdpServiceListenerOptions) {
    this.socket.on('message', (message, peer) => this.receive(message, peer));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.options.port, this.options.host, () => {
        this.socket.off('error', reject);
        this.socket.on('error', () => {}); // a reply to a client that went away
        resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const key of [...this.flows.keys()]) this.endFlow(key);
    this.socket.close();
  }

  /** Ends the flows whose backend `keep` rejects (it left the Service, or is no longer ready). */
  dropFlows(keep: (backend: Backend) => boolean): void {
    for (const [key, flow] of this.flows) if (flow.backend && !keep(flow.backend)) this.endFlow(key);
  }

  get flowCount(): number {
    return this.flows.size;
  }

  private receive(message: Buffer, peer: dgram.RemoteInfo): void {
    if (this.closed) return;
    const key = `${peer.address}:${peer.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      flow = { backend: undefined, stream: undefined, pending: [], idle: this.idleTimer(key) };
      this.flows.set(key, flow);
      this.openFlow(key, flow, peer);
    } else {
      flow.idle.refresh();
    }
    if (flow.stream) flow.stream.write(encodeDatagram(message));
    else if (flow.pending.length < PENDING_DATAGRAMS_LIMIT) flow.pending.push(message);
  }

  private openFlow(key: string, flow: Flow, peer: dgram.RemoteInfo): void {
    this.options.open(peer.address).then(
      ({ backend, stream }) => {
        if (this.flows.get(key) !== flow) {
          stream.destroy();
          return;
        }
        flow.backend = backend;
        flow.stream = stream;
        const decoder = new DatagramDecoder();
        stream.on('data', (chunk: Buffer) => {
          flow.idle.refresh();
          for (const datagram of decoder.push(chunk)) this.socket.send(datagram, peer.port, peer.address);
        });
        const gone = () => {
          if (this.flows.get(key) === flow) this.endFlow(key);
        };
        stream.on('error', gone);
        stream.on('close', gone);
        stream.on('end', gone);
        for (const datagram of flow.pending.splice(0)) stream.write(encodeDatagram(datagram));
      },
      () => {
        // No backend (or it could not be reached): the datagrams are dropped; the next one tries again.
        if (this.flows.get(key) === flow) this.endFlow(key);
      },
    );
  }

  private idleTimer(key: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.endFlow(key), this.options.idleMs ?? UDP_FLOW_IDLE_MS);
    timer.unref();
    return timer;
  }

  private endFlow(key: string): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    this.flows.delete(key);
    clearTimeout(flow.idle);
    flow.stream?.destroy();
  }
}
