// Messages whose JSON form is not their protobuf form: apimachinery gives them
// custom JSON marshallers (times as RFC 3339 strings, quantities as strings,
// int-or-string as either). Each decoder turns a message's bytes into exactly
// what the JSON form holds.
import { WireReader, WireType, WireFormatError } from './wire-reader.ts';

export interface WellKnownContext {
  /** Decodes a nested `k8s\0`-prefixed object (a RawExtension holding protobuf). */
  decodeEmbeddedObject(raw: Uint8Array): Record<string, unknown>;
}

export type WellKnownDecoder = (bytes: Uint8Array, context: WellKnownContext) => unknown;

/** Reads the fields of a small message into a number -> last value map (varints as numbers, the rest as bytes). */
function readFields(bytes: Uint8Array, varintFields: readonly number[]): Map<number, number | Uint8Array> {
  const reader = new WireReader(bytes);
  const values = new Map<number, number | Uint8Array>();
  while (!reader.done) {
    const { fieldNumber, wireType } = reader.readTag();
    if (varintFields.includes(fieldNumber)) {
      expectWireType(fieldNumber, wireType, WireType.varint);
      values.set(fieldNumber, reader.readInt64());
    } else if (wireType === WireType.lengthDelimited) {
      values.set(fieldNumber, reader.readBytes());
    } else {
      reader.skip(wireType);
    }
  }
  return values;
}

function expectWireType(fieldNumber: number, actual: number, expected: number): void {
  if (actual !== expected) throw new WireFormatError(`field ${fieldNumber} has wire type ${actual}, expected ${expected}`);
}

const utf8 = new TextDecoder('utf-8');

function text(value: number | Uint8Array | undefined): string {
  return value instanceof Uint8Array ? utf8.decode(value) : '';
}

function numberOf(value: number | Uint8Array | undefined): number {
  return typeof value === 'number' ? value : 0;
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new WireFormatError(`time ${seconds}s is out of range`);
  return date.toISOString().slice(0, 19);
}

/** metav1.Time: JSON keeps whole seconds (Go drops the nanos when reading protobuf too); zero is null. */
function decodeTime(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  const fields = readFields(bytes, [1, 2]);
  return `${isoSeconds(numberOf(fields.get(1)))}Z`;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits; zero is null. */
function decodeMicroTime(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  const fields = readFields(bytes, [1, 2]);
  const micros = Math.floor(numberOf(fields.get(2)) / 1000);
  return `${isoSeconds(numberOf(fields.get(1)))}.${String(micros).padStart(6, '0')}Z`;
}

function withFraction(value: bigint, digits: number): string {
  const divisor = 10n ** BigInt(digits);
  const fraction = (value % divisor).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction ? `${value / divisor}.${fraction}` : `${value / divisor}`;
}

/** Go's time.Duration.String(), which is metav1.Duration's JSON form ("1h0m0s", "1.5s", "300ms"). */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const sign = nanoseconds < 0n ? '-' : '';
  const abs = nanoseconds < 0n ? -nanoseconds : nanoseconds;
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${withFraction(abs, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${withFraction(abs, 6)}ms`;
  let out = `${withFraction(abs % 60_000_000_000n, 9)}s`;
  const minutes = abs / 60_000_000_000n;
  if (minutes > 0n) out = `${minutes % 60n}m${out}`;
  const hours = minutes / 60n;
  if (hours > 0n) out = `${hours}h${out}`;
  return sign + out;
}

function decodeDuration(bytes: Uint8Array): string {
  const reader = new WireReader(bytes);
  let nanoseconds = 0n;
  while (!reader.done) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber !== 1) {
      reader.skip(wireType);
      continue;
    }
    expectWireType(fieldNumber, wireType, WireType.varint);
    nanoseconds = BigInt(reader.readInt64());
  }
  return formatGoDuration(nanoseconds);
}

/** resource.Quantity travels as its canonical string; an empty message is the zero quantity. */
function decodeQuantity(bytes: Uint8Array): string {
  const value = readFields(bytes, []).get(1);
  return value === undefined ? '0' : text(value);
}

/** intstr.IntOrString: type 0 is an int, type 1 a string. */
function decodeIntOrString(bytes: Uint8Array): number | string {
  const fields = readFields(bytes, [1, 2]);
  return numberOf(fields.get(1)) === 1 ? text(fields.get(3)) : numberOf(fields.get(2)) | 0;
}

function parseJsonBytes(raw: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(raw));
  } catch (e) {
    throw new WireFormatError(`${what} is not JSON: ${(e as Error).message}`);
  }
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** runtime.RawExtension: usually JSON bytes; a protobuf-encoded object is decoded in turn. */
function decodeRawExtension(bytes: Uint8Array, context: WellKnownContext): unknown {
  const raw = readFields(bytes, []).get(1);
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  if (MAGIC.every((b, i) => raw[i] === b)) return context.decodeEmbeddedObject(raw);
  return parseJsonBytes(raw, 'an embedded object (RawExtension)');
}

/** metav1.FieldsV1 (managedFields[].fieldsV1) holds the JSON field set verbatim. */
function decodeFieldsV1(bytes: Uint8Array): unknown {
  const raw = readFields(bytes, []).get(1);
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  return parseJsonBytes(raw, 'managedFields fieldsV1');
}

/** String-list wrappers (metav1.Verbs, authentication ExtraValue) are plain arrays in JSON. */
function decodeStringList(bytes: Uint8Array): string[] {
  const reader = new WireReader(bytes);
  const items: string[] = [];
  while (!reader.done) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber === 1) {
      expectWireType(fieldNumber, wireType, WireType.lengthDelimited);
      items.push(reader.readString());
    } else {
      reader.skip(wireType);
    }
  }
  return items;
}

export const WELL_KNOWN_TYPES: ReadonlyMap<string, WellKnownDecoder> = new Map<string, WellKnownDecoder>([
  ['meta.v1.Time', decodeTime],
  ['meta.v1.MicroTime', decodeMicroTime],
  ['meta.v1.Duration', decodeDuration],
  ['meta.v1.FieldsV1', decodeFieldsV1],
  ['meta.v1.Verbs', decodeStringList],
  ['authentication.v1.ExtraValue', decodeStringList],
  ['authorization.v1.ExtraValue', decodeStringList],
  ['resource.Quantity', decodeQuantity],
  ['intstr.IntOrString', decodeIntOrString],
  ['runtime.RawExtension', decodeRawExtension],
]);
