// The frame around every Kubernetes protobuf body: the 4-byte `k8s\0` magic,
// then a runtime.Unknown { typeMeta = 1 { apiVersion = 1, kind = 2 }, raw = 2,
// contentEncoding = 3, contentType = 4 } whose raw bytes are the object's own
// message (which carries no apiVersion/kind of its own).
import { WireReader, WireType, WireFormatError } from './wire-reader.ts';

export const KUBERNETES_PROTOBUF_MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

export interface ProtobufEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export function hasKubernetesProtobufMagic(body: Uint8Array): boolean {
  return body.length >= KUBERNETES_PROTOBUF_MAGIC.length && KUBERNETES_PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

function readTypeMeta(bytes: Uint8Array, envelope: ProtobufEnvelope): void {
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber === 1 || fieldNumber === 2) {
      if (wireType !== WireType.lengthDelimited) throw new WireFormatError(`typeMeta field ${fieldNumber} is not a string`);
      if (fieldNumber === 1) envelope.apiVersion = reader.readString();
      else envelope.kind = reader.readString();
    } else {
      reader.skip(wireType);
    }
  }
}

/** Reads the frame; the caller has checked the magic. Throws WireFormatError on malformed bytes. */
export function readEnvelope(body: Uint8Array): ProtobufEnvelope {
  const envelope: ProtobufEnvelope = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  const reader = new WireReader(body.subarray(KUBERNETES_PROTOBUF_MAGIC.length));
  while (!reader.done) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber >= 1 && fieldNumber <= 4 && wireType !== WireType.lengthDelimited) {
      throw new WireFormatError(`envelope field ${fieldNumber} has wire type ${wireType}, expected length-delimited`);
    }
    if (fieldNumber === 1) readTypeMeta(reader.readBytes(), envelope);
    else if (fieldNumber === 2) envelope.raw = reader.readBytes();
    else if (fieldNumber === 3) envelope.contentEncoding = reader.readString();
    else if (fieldNumber === 4) envelope.contentType = reader.readString();
    else reader.skip(wireType);
  }
  return envelope;
}
