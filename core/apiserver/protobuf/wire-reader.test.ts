import { describe, it, expect } from 'vitest';
import { WireReader, WireFormatError, WireType } from './wire-reader.ts';
import { WireWriter } from './wire-writer.ts';

function readerFor(build: (w: WireWriter) => unknown): WireReader {
  const writer = new WireWriter();
  build(writer);
  return new WireReader(writer.finish());
}

describe('WireReader', () => {
  it('reads negative int32 written sign-extended to ten bytes', () => {
    const bytes = new WireWriter().varint(1, -5).finish();
    expect(bytes.length).toBe(11);
    const reader = new WireReader(bytes);
    expect(reader.readTag()).toEqual({ fieldNumber: 1, wireType: WireType.varint });
    expect(reader.readInt32()).toBe(-5);
    expect(reader.done).toBe(true);
  });

  it('reads int32 extremes', () => {
    const reader = readerFor((w) => w.varint(1, 2147483647).varint(2, -2147483648));
    reader.readTag();
    expect(reader.readInt32()).toBe(2147483647);
    reader.readTag();
    expect(reader.readInt32()).toBe(-2147483648);
  });

  it('reads int64 values beyond 32 bits, positive and negative', () => {
    const reader = readerFor((w) => w.varint(1, 1767323045).varint(2, 2 ** 40 + 3).varint(3, -(2 ** 40)).varint(4, -1));
    const values: number[] = [];
    while (!reader.done) {
      reader.readTag();
      values.push(reader.readInt64());
    }
    expect(values).toEqual([1767323045, 2 ** 40 + 3, -(2 ** 40), -1]);
  });

  it('reads uint64 and bool', () => {
    const reader = readerFor((w) => w.varint(1, 2n ** 52n).varint(2, true).varint(3, false));
    reader.readTag();
    expect(reader.readUint64()).toBe(2 ** 52);
    reader.readTag();
    expect(reader.readBool()).toBe(true);
    reader.readTag();
    expect(reader.readBool()).toBe(false);
  });

  it('reads strings, bytes and doubles', () => {
    const reader = readerFor((w) => w.string(1, 'héllo').bytes(2, Uint8Array.of(0, 255)).double(3, 1.5));
    reader.readTag();
    expect(reader.readString()).toBe('héllo');
    reader.readTag();
    expect([...reader.readBytes()]).toEqual([0, 255]);
    reader.readTag();
    expect(reader.readDouble()).toBe(1.5);
  });

  it('skips every wire type, groups included', () => {
    // field 1 varint, field 2 fixed64, field 3 group {field 4 varint}, field 5 fixed32, field 6 string
    const bytes = Uint8Array.of(0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1b, 0x20, 0x01, 0x1c, 0x2d, 1, 2, 3, 4, 0x32, 0x01, 0x41);
    const reader = new WireReader(bytes);
    const seen: number[] = [];
    while (!reader.done) {
      const { fieldNumber, wireType } = reader.readTag();
      seen.push(fieldNumber);
      if (fieldNumber === 6) expect(reader.readString()).toBe('A');
      else reader.skip(wireType);
    }
    expect(seen).toEqual([1, 2, 3, 5, 6]);
  });

  it('rejects a truncated varint', () => {
    const reader = new WireReader(Uint8Array.of(0x08, 0x96));
    reader.readTag();
    expect(() => reader.readInt32()).toThrow(WireFormatError);
  });

  it('rejects a length that runs past the end', () => {
    const reader = new WireReader(Uint8Array.of(0x0a, 0x05, 0x41));
    reader.readTag();
    expect(() => reader.readBytes()).toThrow(/runs past the end/);
  });

  it('rejects a varint longer than ten bytes', () => {
    const reader = new WireReader(Uint8Array.from([...Array(11).fill(0xff), 0x01]));
    expect(() => reader.readInt64()).toThrow(/longer than 10 bytes/);
  });

  it('rejects field number 0 and invalid wire types', () => {
    expect(() => new WireReader(Uint8Array.of(0x00)).readTag()).toThrow(/field number 0/);
    expect(() => new WireReader(Uint8Array.of(0x0e)).readTag()).toThrow(/invalid wire type 6/);
  });

  it('rejects a truncated fixed64', () => {
    const reader = new WireReader(Uint8Array.of(0x09, 1, 2, 3));
    const { wireType } = reader.readTag();
    expect(() => reader.skip(wireType)).toThrow(WireFormatError);
  });
});
