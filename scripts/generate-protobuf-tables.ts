// Regenerates the schema-*.ts tables from the protobuf descriptors that Go's
// gogo-protobuf compiles (gzipped) into every Kubernetes client binary, so the
// field numbers are exactly the ones kubectl puts on the wire.
//
//   npx tsx scripts/generate-protobuf-tables.ts "$(readlink -f "$(command -v kubectl)")"
//
// It keeps the gogoproto `nullable` option: a scalar without `nullable=false`
// is a Go pointer, whose zero value means something (`replicas: 0`). Embedded
// Go structs, which JSON inlines, are not marked in descriptors; the binary's
// struct tags (`json:",inline" protobuf:"bytes,2,opt,name=volumeSource"`) tell them.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WireReader, WireType } from '../core/apiserver/protobuf/wire-reader.ts';

interface FieldDescriptor {
  name: string;
  number: number;
  repeated: boolean;
  type: number;
  typeName: string;
  nonNullable: boolean;
}

interface MessageDescriptor {
  name: string;
  fields: FieldDescriptor[];
  nested: MessageDescriptor[];
  mapEntry: boolean;
}

interface FileDescriptor {
  name: string;
  packageName: string;
  messages: MessageDescriptor[];
}

/** Output file -> the descriptor files (and export names) it holds. */
const OUTPUTS: Record<string, { proto: string; exportName: string }[]> = {
  'schema-meta.ts': [{ proto: 'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto', exportName: 'metaV1Schema' }],
  'schema-core.ts': [{ proto: 'k8s.io/api/core/v1/generated.proto', exportName: 'coreV1Schema' }],
  'schema-apps.ts': [{ proto: 'k8s.io/api/apps/v1/generated.proto', exportName: 'appsV1Schema' }],
  'schema-batch.ts': [{ proto: 'k8s.io/api/batch/v1/generated.proto', exportName: 'batchV1Schema' }],
  'schema-coordination.ts': [{ proto: 'k8s.io/api/coordination/v1/generated.proto', exportName: 'coordinationV1Schema' }],
  'schema-autoscaling.ts': [
    { proto: 'k8s.io/api/autoscaling/v1/generated.proto', exportName: 'autoscalingV1Schema' },
    { proto: 'k8s.io/api/autoscaling/v2/generated.proto', exportName: 'autoscalingV2Schema' },
  ],
  'schema-policy.ts': [{ proto: 'k8s.io/api/policy/v1/generated.proto', exportName: 'policyV1Schema' }],
  'schema-storage.ts': [{ proto: 'k8s.io/api/storage/v1/generated.proto', exportName: 'storageV1Schema' }],
  'schema-authentication.ts': [{ proto: 'k8s.io/api/authentication/v1/generated.proto', exportName: 'authenticationV1Schema' }],
  'schema-authorization.ts': [{ proto: 'k8s.io/api/authorization/v1/generated.proto', exportName: 'authorizationV1Schema' }],
};

/** Decoded by hand in well-known-types.ts: their JSON form is not their message form. */
const WELL_KNOWN = new Set([
  'meta.v1.Time',
  'meta.v1.MicroTime',
  'meta.v1.Timestamp',
  'meta.v1.Duration',
  'meta.v1.FieldsV1',
  'meta.v1.Verbs',
  'authentication.v1.ExtraValue',
  'authorization.v1.ExtraValue',
]);

const SCALARS: Record<number, string> = { 1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 8: 'bool', 9: 'string', 12: 'bytes', 13: 'uint32' };
const TYPE_MESSAGE = 11;
const LABEL_REPEATED = 3;
const GOGO_NULLABLE = 65001;
const MAP_ENTRY_OPTION = 7;

function shortName(fullName: string): string {
  const name = fullName.replace(/^\./, '');
  return name
    .replace(/^k8s\.io\.api\./, '')
    .replace(/^k8s\.io\.apimachinery\.pkg\.apis\./, '')
    .replace(/^k8s\.io\.apimachinery\.pkg\.api\./, '')
    .replace(/^k8s\.io\.apimachinery\.pkg\.util\./, '')
    .replace(/^k8s\.io\.apimachinery\.pkg\./, '');
}

function eachField(bytes: Uint8Array, onField: (fieldNumber: number, reader: WireReader, wireType: number) => void): void {
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { fieldNumber, wireType } = reader.readTag();
    onField(fieldNumber, reader, wireType);
  }
}

function parseField(bytes: Uint8Array): FieldDescriptor {
  const field: FieldDescriptor = { name: '', number: 0, repeated: false, type: 0, typeName: '', nonNullable: false };
  eachField(bytes, (no, r, wt) => {
    if (no === 1) field.name = r.readString();
    else if (no === 3) field.number = r.readInt32();
    else if (no === 4) field.repeated = r.readInt32() === LABEL_REPEATED;
    else if (no === 5) field.type = r.readInt32();
    else if (no === 6) field.typeName = r.readString();
    else if (no === 8) {
      eachField(r.readBytes(), (optionNo, o, owt) => {
        if (optionNo === GOGO_NULLABLE) field.nonNullable = !o.readBool();
        else o.skip(owt);
      });
    } else r.skip(wt);
  });
  return field;
}

function parseMessage(bytes: Uint8Array): MessageDescriptor {
  const message: MessageDescriptor = { name: '', fields: [], nested: [], mapEntry: false };
  eachField(bytes, (no, r, wt) => {
    if (no === 1) message.name = r.readString();
    else if (no === 2) message.fields.push(parseField(r.readBytes()));
    else if (no === 3) message.nested.push(parseMessage(r.readBytes()));
    else if (no === 7) {
      eachField(r.readBytes(), (optionNo, o, owt) => {
        if (optionNo === MAP_ENTRY_OPTION) message.mapEntry = o.readBool();
        else o.skip(owt);
      });
    } else r.skip(wt);
  });
  return message;
}

function parseFile(bytes: Uint8Array): FileDescriptor {
  const file: FileDescriptor = { name: '', packageName: '', messages: [] };
  eachField(bytes, (no, r, wt) => {
    if (no === 1) file.name = r.readString();
    else if (no === 2) file.packageName = r.readString();
    else if (no === 4) file.messages.push(parseMessage(r.readBytes()));
    else r.skip(wt);
  });
  return file;
}

/** Every gzip stream in the binary that inflates to a Kubernetes FileDescriptorProto. */
function findDescriptors(binary: Buffer): Map<string, FileDescriptor> {
  const found = new Map<string, FileDescriptor>();
  for (let i = binary.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); i >= 0; i = binary.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), i + 1)) {
    let inflated: Buffer;
    try {
      inflated = gunzipSync(binary.subarray(i, i + 4_000_000), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    if (!inflated.includes('generated.proto')) continue;
    try {
      const file = parseFile(inflated);
      if (file.name.startsWith('k8s.io/') && file.messages.length > 0 && !found.has(file.name)) found.set(file.name, file);
    } catch {
      // Not a descriptor after all.
    }
  }
  return found;
}

interface StructTags {
  /** `number:name` of fields whose Go struct tag says `json:",inline"`. */
  named: Set<string>;
  /** Field numbers of inline tags that name no proto field (EphemeralContainer's common part). */
  unnamedNumbers: Set<string>;
  /** `number:name` of every message field some struct tag names. */
  tagged: Set<string>;
  /** `number:protoName` -> JSON name, where the two differ (BoundObjectReference's uID is "uid"). */
  jsonRenames: Map<string, string>;
}

function findStructTags(binary: Buffer): StructTags {
  const text = binary.toString('latin1');
  const tags: StructTags = { named: new Set(), unnamedNumbers: new Set(), tagged: new Set(), jsonRenames: new Map() };
  for (const match of text.matchAll(/json:",inline[^"]*" protobuf:"bytes,(\d+)(?:,opt|,req)?(?:,name=(\w+))?/g)) {
    if (match[2]) tags.named.add(`${match[1]}:${match[2]}`);
    else tags.unnamedNumbers.add(match[1]);
  }
  for (const match of text.matchAll(/protobuf:"bytes,(\d+),(?:[a-z]+,)?name=(\w+)/g)) tags.tagged.add(`${match[1]}:${match[2]}`);
  for (const match of text.matchAll(/json:"(\w+)[^"]*" protobuf:"\w+,(\d+),(?:[a-z]+,)?name=(\w+)/g)) {
    if (match[1] !== match[3]) tags.jsonRenames.set(`${match[2]}:${match[3]}`, match[1]);
  }
  return tags;
}

function isInline(field: FieldDescriptor, tags: StructTags): boolean {
  if (field.type !== TYPE_MESSAGE || field.repeated) return false;
  const key = `${field.number}:${field.name}`;
  return tags.named.has(key) || (tags.unnamedNumbers.has(String(field.number)) && !tags.tagged.has(key));
}

function typeOf(field: FieldDescriptor, messagesByFullName: Map<string, MessageDescriptor>, structTags: StructTags): string {
  if (isInline(field, structTags)) return `...${shortName(field.typeName)}`;
  if (field.type === TYPE_MESSAGE) {
    const entry = messagesByFullName.get(field.typeName);
    if (entry?.mapEntry) {
      const key = entry.fields.find((f) => f.number === 1)!;
      const value = entry.fields.find((f) => f.number === 2)!;
      return `map[${SCALARS[key.type]}]${value.type === TYPE_MESSAGE ? shortName(value.typeName) : SCALARS[value.type]}`;
    }
    return (field.repeated ? '[]' : '') + shortName(field.typeName);
  }
  const scalar = SCALARS[field.type];
  if (!scalar) throw new Error(`unsupported field type ${field.type} for ${field.name}`);
  if (field.repeated) return `[]${scalar}`;
  return field.nonNullable ? scalar : `*${scalar}`;
}

function renderMessage(name: string, message: MessageDescriptor, messagesByFullName: Map<string, MessageDescriptor>, structTags: StructTags): string {
  const fields = [...message.fields]
    .sort((a, b) => a.number - b.number)
    .map((f) => `${f.number}: [${JSON.stringify(structTags.jsonRenames.get(`${f.number}:${f.name}`) ?? f.name)}, ${JSON.stringify(typeOf(f, messagesByFullName, structTags)).replace(/"/g, "'")}]`.replace(/\["([^"']*)"/, "['$1'"));
  const oneLine = fields.length === 0 ? `  '${name}': {},` : `  '${name}': { ${fields.join(', ')} },`;
  if (oneLine.length <= 120) return oneLine;
  return [`  '${name}': {`, ...fields.map((f) => `    ${f},`), '  },'].join('\n');
}

function main(): void {
  const binaryPath = process.argv[2];
  if (!binaryPath) throw new Error('usage: scripts/generate-protobuf-tables.ts PATH_TO_KUBECTL_BINARY');
  const binary = readFileSync(binaryPath);
  const descriptors = findDescriptors(binary);
  const structTags = findStructTags(binary);
  const messagesByFullName = new Map<string, MessageDescriptor>();
  for (const file of descriptors.values()) {
    for (const message of file.messages) {
      messagesByFullName.set(`.${file.packageName}.${message.name}`, message);
      for (const nested of message.nested) messagesByFullName.set(`.${file.packageName}.${message.name}.${nested.name}`, nested);
    }
  }
  const outDir = join(dirname(fileURLToPath(import.meta.url)), '../core/apiserver/protobuf');
  for (const [outFile, parts] of Object.entries(OUTPUTS)) {
    const sections = parts.map(({ proto, exportName }) => {
      const file = descriptors.get(proto);
      if (!file) throw new Error(`no descriptor for ${proto} in ${binaryPath}`);
      const body = [...file.messages]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => ({ name: `${shortName(file.packageName)}.${m.name}`, message: m }))
        .filter(({ name }) => !WELL_KNOWN.has(name))
        .map(({ name, message }) => renderMessage(name, message, messagesByFullName, structTags));
      return `export const ${exportName}: SchemaTable = {\n${body.join('\n')}\n};\n`;
    });
    const header = [
      `// Generated by scripts/generate-protobuf-tables.ts from the protobuf descriptors compiled into kubectl`,
      `// (${parts.map((p) => p.proto).join(', ')}). Regenerate rather than edit.`,
      `import type { SchemaTable } from './schema-types.ts';`,
      '',
    ].join('\n');
    writeFileSync(join(outDir, outFile), `${header}\n${sections.join('\n')}`);
    console.log(`wrote ${outFile}`);
  }
}

main();
