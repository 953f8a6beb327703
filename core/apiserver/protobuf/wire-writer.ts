// The writing half of wire-reader.ts, as small: builds protobuf bytes field by
// field. Tests use it to hand-build messages the way Go's gogo-protobuf lays
// them out (proto2, unpacked, int32 sign-extended to 10 bytes).
import { WireType } from './wire-reader.ts';
import { KUBERNETES_PROTOBUF_MAGIC } from './envelope.ts';

export class WireWriter {
  private readonly chunks: number[] = [];

  /** Any integer: negatives are written as 64-bit two's complement, as Go does for int32 and int64. */
  varint(fieldNumber: number, value: number | bigint | boolean): this {
    this.tag(fieldNumber, WireType.varint);
    this.rawVarint(typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value));
    return this;
  }

  string(fieldNumber: number, value: string): this {
    return this.bytes(fieldNumber, new TextEncoder().encode(value));
  }

  bytes(fieldNumber: number, value: Uint8Array): this {
    this.tag(fieldNumber, WireType.lengthDelimited);
    this.rawVarint(BigInt(value.length));
    this.chunks.push(...value);
    return this;
  }

  message(fieldNumber: number, build: (w: WireWriter) => unknown): this {
    const nested = new WireWriter();
    build(nested);
    return this.bytes(fieldNumber, nested.finish());
  }

  /** One map entry {key = 1, value = 2}; a map is these repeated. */
  mapEntry(fieldNumber: number, key: string, value: string | Uint8Array | ((w: WireWriter) => unknown)): this {
    return this.message(fieldNumber, (entry) => {
      entry.string(1, key);
      if (typeof value === 'string') entry.string(2, value);
      else if (value instanceof Uint8Array) entry.bytes(2, value);
      else entry.message(2, value);
    });
  }

  double(fieldNumber: number, value: number): this {
    this.tag(fieldNumber, WireType.fixed64);
    const buffer = new DataView(new ArrayBuffer(8));
    buffer.setFloat64(0, value, true);
    this.chunks.push(...new Uint8Array(buffer.buffer));
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private tag(fieldNumber: number, wireType: number): void {
    this.rawVarint(BigInt(fieldNumber * 8 + wireType));
  }

  private rawVarint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      this.chunks.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
  }
}

/** A whole request body: the `k8s\0` magic and a runtime.Unknown around the object's bytes. */
export function kubernetesProtobufBody(apiVersion: string, kind: string, object: Uint8Array): Uint8Array {
  const envelope = new WireWriter()
    .message(1, (typeMeta) => typeMeta.string(1, apiVersion).string(2, kind))
    .bytes(2, object)
    .string(3, '')
    .string(4, '')
    .finish();
  return Uint8Array.from([...KUBERNETES_PROTOBUF_MAGIC, ...envelope]);
}
