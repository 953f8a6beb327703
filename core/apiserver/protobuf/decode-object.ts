// Decodes a Kubernetes protobuf request body (Content-Type
// application/vnd.kubernetes.protobuf) into the plain object its JSON form
// would give, so the rest of the API server never sees protobuf.
import { ApiError, badRequest } from '../../api/errors.ts';
import { hasKubernetesProtobufMagic, readEnvelope } from './envelope.ts';
import { WireReader, WireType, WireFormatError } from './wire-reader.ts';
import { messageSchema, rootMessageFor } from './schema-registry.ts';
import type { CompiledField, ScalarType, ValueType } from './schema-registry.ts';
import { WELL_KNOWN_TYPES } from './well-known-types.ts';
import type { WellKnownContext } from './well-known-types.ts';

/** A field number the schema does not know, skipped for forward compatibility. */
export interface UnknownProtobufField {
  /** Where it sat, in JSON path form: `spec.template.spec.containers[0]`. */
  path: string;
  fieldNumber: number;
}

export interface DecodedProtobufObject {
  object: Record<string, unknown>;
  unknownFields: UnknownProtobufField[];
}

/** A RawExtension holding protobuf holds an object that may hold another: bound the nesting. */
const MAX_EMBEDDED_DEPTH = 16;

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (value instanceof Uint8Array && value.length === 0);
}

function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case 'string':
    case 'bytes':
      return WireType.lengthDelimited;
    case 'double':
      return WireType.fixed64;
    case 'float':
      return WireType.fixed32;
    default:
      return WireType.varint;
  }
}

function readScalar(reader: WireReader, scalar: ScalarType): string | number | boolean | Uint8Array {
  switch (scalar) {
    case 'string':
      return reader.readString();
    case 'bytes':
      return reader.readBytes();
    case 'bool':
      return reader.readBool();
    case 'int32':
      return reader.readInt32();
    case 'uint32':
      return reader.readUint32();
    case 'int64':
      return reader.readInt64();
    case 'uint64':
      return reader.readUint64();
    case 'double':
      return reader.readDouble();
    case 'float':
      return reader.readFloat();
  }
}

/** Go's JSON encodes []byte as standard base64. */
function toJsonScalar(value: string | number | boolean | Uint8Array): string | number | boolean {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64') : value;
}

function defaultScalar(scalar: ScalarType): string | number | boolean {
  if (scalar === 'string' || scalar === 'bytes') return '';
  return scalar === 'bool' ? false : 0;
}

class ObjectDecoder implements WellKnownContext {
  readonly unknownFields: UnknownProtobufField[] = [];

  constructor(private readonly depth: number) {}

  decodeEmbeddedObject(raw: Uint8Array): Record<string, unknown> {
    if (this.depth >= MAX_EMBEDDED_DEPTH) throw new WireFormatError('embedded objects nest too deeply');
    const nested = new ObjectDecoder(this.depth + 1);
    const object = nested.decodeBody(raw);
    this.unknownFields.push(...nested.unknownFields);
    return object;
  }

  decodeBody(body: Uint8Array): Record<string, unknown> {
    const envelope = readEnvelope(body);
    if (!envelope.kind) throw badRequest('the protobuf request body names no kind in its envelope (runtime.Unknown typeMeta)');
    if (envelope.contentEncoding) {
      throw new ApiError(415, 'UnsupportedMediaType', `protobuf request bodies with content encoding "${envelope.contentEncoding}" are not supported; send the object as application/json`);
    }
    const root = rootMessageFor(envelope.apiVersion, envelope.kind);
    if (!root) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the server cannot decode ${envelope.apiVersion || '(no apiVersion)'} ${envelope.kind} from protobuf (application/vnd.kubernetes.protobuf); send this object as application/json or application/yaml instead`,
      );
    }
    const object: Record<string, unknown> = { apiVersion: envelope.apiVersion, kind: envelope.kind };
    try {
      Object.assign(object, this.decodeMessage(envelope.raw, root, ''));
    } catch (e) {
      if (e instanceof WireFormatError) {
        throw badRequest(`the protobuf request body for ${envelope.apiVersion} ${envelope.kind} is malformed: ${e.message}`);
      }
      throw e;
    }
    return object;
  }

  private decodeMessage(bytes: Uint8Array, messageName: string, path: string): Record<string, unknown> {
    const schema = messageSchema(messageName);
    if (!schema) throw new Error(`protobuf schema has no message ${messageName}`);
    const out: Record<string, unknown> = {};
    const reader = new WireReader(bytes);
    while (!reader.done) {
      const { fieldNumber, wireType } = reader.readTag();
      const field = schema.get(fieldNumber);
      if (!field) {
        this.unknownFields.push({ path, fieldNumber });
        reader.skip(wireType);
        continue;
      }
      const fieldPath = path ? `${path}.${field.jsonName}` : field.jsonName;
      if (field.shape === 'map') {
        expectWireType(field, wireType, WireType.lengthDelimited);
        const map = (out[field.jsonName] ??= {}) as Record<string, unknown>;
        this.readMapEntry(reader.readBytes(), field, map, fieldPath);
      } else if (field.shape === 'inline') {
        Object.assign(out, this.readValue(reader, wireType, field, field.value, path));
      } else if (field.shape === 'repeated') {
        const list = (out[field.jsonName] ??= []) as unknown[];
        this.readRepeated(reader, wireType, field, list, fieldPath);
      } else {
        const value = this.readValue(reader, wireType, field, field.value, fieldPath);
        if (field.keepZero || !isZero(value)) out[field.jsonName] = value;
        else delete out[field.jsonName];
      }
    }
    return out;
  }

  private readValue(reader: WireReader, wireType: number, field: CompiledField, type: ValueType, path: string): unknown {
    if (type.kind === 'scalar') {
      expectWireType(field, wireType, wireTypeOf(type.scalar));
      return toJsonScalar(readScalar(reader, type.scalar));
    }
    expectWireType(field, wireType, WireType.lengthDelimited);
    return this.decodeNamedMessage(reader.readBytes(), type.message, path);
  }

  private decodeNamedMessage(bytes: Uint8Array, messageName: string, path: string): unknown {
    const wellKnown = WELL_KNOWN_TYPES.get(messageName);
    return wellKnown ? wellKnown(bytes, this) : this.decodeMessage(bytes, messageName, path);
  }

  private readRepeated(reader: WireReader, wireType: number, field: CompiledField, list: unknown[], path: string): void {
    const type = field.value;
    // Numeric lists may arrive packed (one length-delimited run) even though Go writes them unpacked.
    if (type.kind === 'scalar' && wireType === WireType.lengthDelimited && wireTypeOf(type.scalar) !== WireType.lengthDelimited) {
      const packed = new WireReader(reader.readBytes());
      while (!packed.done) list.push(toJsonScalar(readScalar(packed, type.scalar)));
      return;
    }
    list.push(this.readValue(reader, wireType, field, type, `${path}[${list.length}]`));
  }

  private readMapEntry(bytes: Uint8Array, field: CompiledField, map: Record<string, unknown>, path: string): void {
    const reader = new WireReader(bytes);
    let key: string | number | boolean = defaultScalar(field.mapKey ?? 'string');
    let value: unknown;
    while (!reader.done) {
      const { fieldNumber, wireType } = reader.readTag();
      if (fieldNumber === 1) {
        const keyType = field.mapKey ?? 'string';
        expectWireType(field, wireType, wireTypeOf(keyType));
        key = toJsonScalar(readScalar(reader, keyType));
      } else if (fieldNumber === 2) {
        value = this.readValue(reader, wireType, field, field.value, `${path}[${JSON.stringify(String(key))}]`);
      } else {
        reader.skip(wireType);
      }
    }
    if (value === undefined) {
      value = field.value.kind === 'scalar' ? defaultScalar(field.value.scalar) : this.decodeNamedMessage(new Uint8Array(), field.value.message, path);
    }
    map[String(key)] = value;
  }
}

function expectWireType(field: CompiledField, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new WireFormatError(`field "${field.jsonName}" has wire type ${actual}, expected ${expected}`);
  }
}

/**
 * Decodes a `k8s\0`-framed protobuf body and reports field numbers it skipped.
 * Throws ApiError 400 for malformed bytes, 415 for a kind it has no schema for.
 */
export function decodeKubernetesProtobufWithUnknownFields(body: Uint8Array): DecodedProtobufObject {
  if (!hasKubernetesProtobufMagic(body)) {
    throw badRequest('the request body is not Kubernetes protobuf: it does not start with the "k8s\\x00" prefix');
  }
  const decoder = new ObjectDecoder(0);
  try {
    const object = decoder.decodeBody(body);
    return { object, unknownFields: decoder.unknownFields };
  } catch (e) {
    if (e instanceof WireFormatError) throw badRequest(`the protobuf request body is malformed: ${e.message}`);
    throw e;
  }
}

/** The JSON-shaped object (apiVersion and kind from the envelope) a protobuf request body encodes. */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  return decodeKubernetesProtobufWithUnknownFields(body).object;
}
