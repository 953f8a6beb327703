// A minimal reader for the protobuf wire format: enough to walk Kubernetes
// messages (varints, length-delimited fields, fixed 32/64-bit values). Kept
// hand-written because the project has no protobuf dependency and this is the
// whole of what decoding needs.

/** How a field's value is laid out on the wire (the low 3 bits of a tag). */
export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

/** The bytes are not valid protobuf: truncated, or a tag or varint that cannot be. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

export interface FieldTag {
  fieldNumber: number;
  wireType: number;
}

const utf8 = new TextDecoder('utf-8');

export class WireReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  get offset(): number {
    return this.pos;
  }

  readTag(): FieldTag {
    const tag = this.readVarint64();
    if (tag.hi !== 0 || tag.lo > 0xffffffff) throw new WireFormatError(`field tag too large at byte ${this.pos}`);
    const fieldNumber = tag.lo >>> 3;
    const wireType = tag.lo & 7;
    if (fieldNumber === 0) throw new WireFormatError(`field number 0 at byte ${this.pos}`);
    if (wireType > WireType.fixed32) throw new WireFormatError(`invalid wire type ${wireType} at byte ${this.pos}`);
    return { fieldNumber, wireType };
  }

  /** int32 values are sign-extended to 64 bits on the wire; the low 32 bits are the value. */
  readInt32(): number {
    return this.readVarint64().lo | 0;
  }

  readUint32(): number {
    return this.readVarint64().lo >>> 0;
  }

  /** JSON numbers, as Kubernetes' JSON form gives them (exact up to 2^53). */
  readInt64(): number {
    const { lo, hi } = this.readVarint64();
    if (hi === 0) return lo;
    return Number(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)));
  }

  readUint64(): number {
    const { lo, hi } = this.readVarint64();
    return hi * 0x1_0000_0000 + lo;
  }

  readBool(): boolean {
    const { lo, hi } = this.readVarint64();
    return lo !== 0 || hi !== 0;
  }

  readDouble(): number {
    const view = this.view(8);
    return view.getFloat64(0, true);
  }

  readFloat(): number {
    const view = this.view(4);
    return view.getFloat32(0, true);
  }

  readBytes(): Uint8Array {
    const length = this.readLength();
    const start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, start + length);
  }

  readString(): string {
    return utf8.decode(this.readBytes());
  }

  /** Step over a value of a field this reader's caller does not know. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.varint:
        this.readVarint64();
        return;
      case WireType.fixed64:
        this.advance(8);
        return;
      case WireType.lengthDelimited:
        this.readBytes();
        return;
      case WireType.fixed32:
        this.advance(4);
        return;
      case WireType.startGroup:
        this.skipGroup();
        return;
      default:
        throw new WireFormatError(`cannot skip wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private skipGroup(): void {
    for (;;) {
      if (this.done) throw new WireFormatError('unterminated group');
      const { wireType } = this.readTag();
      if (wireType === WireType.endGroup) return;
      this.skip(wireType);
    }
  }

  private readLength(): number {
    const { lo, hi } = this.readVarint64();
    const length = hi * 0x1_0000_0000 + lo;
    if (length > this.bytes.length - this.pos) {
      throw new WireFormatError(`length ${length} at byte ${this.pos} runs past the end of the message`);
    }
    return length;
  }

  private advance(count: number): void {
    if (count > this.bytes.length - this.pos) throw new WireFormatError(`truncated value at byte ${this.pos}`);
    this.pos += count;
  }

  private view(count: number): DataView {
    const start = this.pos;
    this.advance(count);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + start, count);
  }

  /** A varint as two unsigned 32-bit halves, so 64-bit values need no BigInt on the common path. */
  private readVarint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) throw new WireFormatError(`truncated varint at byte ${this.pos}`);
      const b = this.bytes[this.pos++];
      const bits = b & 0x7f;
      if (i < 4) {
        lo |= bits << (7 * i);
      } else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else {
        hi |= bits << (7 * i - 32);
      }
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new WireFormatError(`varint longer than 10 bytes at byte ${this.pos}`);
  }
}
