// The part of spdy-transport (no published types) that the port-forward server uses.
declare module 'spdy-transport' {
  import type { Duplex } from 'node:stream';
  import type { EventEmitter } from 'node:events';

  export interface SpdyStream extends Duplex {
    id: number;
    headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, callback?: () => void): void;
    abort(code?: string, callback?: () => void): void;
  }

  export interface SpdyConnection extends EventEmitter {
    start(version: number): void;
    request(options: { method?: string; path?: string; host?: string; headers: Record<string, string>; readable?: boolean; writable?: boolean }, callback: (error: Error | null, stream: SpdyStream) => void): SpdyStream;
    end(callback?: () => void): void;
    on(event: 'stream', listener: (stream: SpdyStream) => void): this;
    on(event: 'error' | 'close', listener: (error?: Error) => void): this;
  }

  const transport: {
    connection: {
      create(socket: Duplex, options: { protocol: 'spdy' | 'http2'; isServer: boolean; windowSize?: number; maxChunk?: number | false }): SpdyConnection;
    };
  };
  export default transport;
}
