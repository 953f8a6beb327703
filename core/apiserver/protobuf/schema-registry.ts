// All protobuf message tables in one place, compiled once from the declarative
// schema-*.ts form into what the decoder walks, plus which apiVersion/kind
// pairs a request body may name.
import type { SchemaTable } from './schema-types.ts';
import { metaV1Schema } from './schema-meta.ts';
import { coreV1Schema } from './schema-core.ts';
import { appsV1Schema } from './schema-apps.ts';
import { batchV1Schema } from './schema-batch.ts';
import { coordinationV1Schema } from './schema-coordination.ts';
import { autoscalingV1Schema, autoscalingV2Schema } from './schema-autoscaling.ts';
import { policyV1Schema } from './schema-policy.ts';
import { storageV1Schema } from './schema-storage.ts';
import { authenticationV1Schema } from './schema-authentication.ts';
import { authorizationV1Schema } from './schema-authorization.ts';
import { WELL_KNOWN_TYPES } from './well-known-types.ts';

export type ScalarType = 'string' | 'bool' | 'bytes' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'float';

export type ValueType = { kind: 'scalar'; scalar: ScalarType } | { kind: 'message'; message: string };

export interface CompiledField {
  jsonName: string;
  /** `inline`: an embedded Go struct, whose fields JSON puts in the parent object. */
  shape: 'single' | 'repeated' | 'map' | 'inline';
  value: ValueType;
  /** Map keys are always scalars in Kubernetes' protos (in practice strings). */
  mapKey?: ScalarType;
  /** A Go pointer field: a zero value on the wire was set on purpose, so it is kept. */
  keepZero: boolean;
}

export type CompiledMessage = ReadonlyMap<number, CompiledField>;

/** Proto package (short form) -> the apiVersion its kinds carry in JSON. */
const API_VERSIONS: Record<string, string> = {
  'core.v1': 'v1',
  'apps.v1': 'apps/v1',
  'batch.v1': 'batch/v1',
  'coordination.v1': 'coordination.k8s.io/v1',
  'autoscaling.v1': 'autoscaling/v1',
  'autoscaling.v2': 'autoscaling/v2',
  'policy.v1': 'policy/v1',
  'storage.v1': 'storage.k8s.io/v1',
  'authentication.v1': 'authentication.k8s.io/v1',
  'authorization.v1': 'authorization.k8s.io/v1',
  'meta.v1': 'meta.k8s.io/v1',
};

/**
 * Option kinds every group version registers (metav1.AddToGroupVersion), so
 * client-go labels them with the apiVersion of the resource it talks to.
 */
const KINDS_IN_EVERY_GROUP_VERSION: Record<string, string> = {
  DeleteOptions: 'meta.v1.DeleteOptions',
  CreateOptions: 'meta.v1.CreateOptions',
  UpdateOptions: 'meta.v1.UpdateOptions',
  PatchOptions: 'meta.v1.PatchOptions',
};

const TABLES: readonly SchemaTable[] = [
  metaV1Schema,
  coreV1Schema,
  appsV1Schema,
  batchV1Schema,
  coordinationV1Schema,
  autoscalingV1Schema,
  autoscalingV2Schema,
  policyV1Schema,
  storageV1Schema,
  authenticationV1Schema,
  authorizationV1Schema,
];

const SCALARS = new Set<string>(['string', 'bool', 'bytes', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

function parseValueType(text: string): ValueType {
  return SCALARS.has(text) ? { kind: 'scalar', scalar: text as ScalarType } : { kind: 'message', message: text };
}

/** Turns one `[jsonName, type]` entry into its compiled form; see schema-types.ts for the grammar. */
export function compileField(jsonName: string, type: string): CompiledField {
  const map = /^map\[(\w+)\](.+)$/.exec(type);
  if (map) {
    if (!SCALARS.has(map[1])) throw new Error(`map key type ${map[1]} of ${jsonName} is not a scalar`);
    return { jsonName, shape: 'map', mapKey: map[1] as ScalarType, value: parseValueType(map[2]), keepZero: true };
  }
  if (type.startsWith('...')) return { jsonName, shape: 'inline', value: { kind: 'message', message: type.slice(3) }, keepZero: true };
  if (type.startsWith('[]')) return { jsonName, shape: 'repeated', value: parseValueType(type.slice(2)), keepZero: true };
  if (type.startsWith('*')) return { jsonName, shape: 'single', value: parseValueType(type.slice(1)), keepZero: true };
  const value = parseValueType(type);
  return { jsonName, shape: 'single', value, keepZero: value.kind === 'message' };
}

function compileTables(tables: readonly SchemaTable[]): Map<string, CompiledMessage> {
  const compiled = new Map<string, CompiledMessage>();
  for (const table of tables) {
    for (const [name, fields] of Object.entries(table)) {
      const message = new Map<number, CompiledField>();
      for (const [number, [jsonName, type]] of Object.entries(fields)) message.set(Number(number), compileField(jsonName, type));
      compiled.set(name, message);
    }
  }
  return compiled;
}

const MESSAGES = compileTables(TABLES);

export function messageSchema(name: string): CompiledMessage | undefined {
  return MESSAGES.get(name);
}

/** Every message name a field refers to that has neither a table nor a well-known decoder (should be none). */
export function unresolvedMessageReferences(): string[] {
  const missing = new Set<string>();
  for (const [owner, fields] of MESSAGES) {
    for (const field of fields.values()) {
      if (field.value.kind !== 'message') continue;
      const target = field.value.message;
      if (!MESSAGES.has(target) && !WELL_KNOWN_TYPES.has(target)) missing.add(`${owner}.${field.jsonName} -> ${target}`);
    }
  }
  return [...missing];
}

const ROOTS = buildRoots();

/** Top-level kinds are the messages that carry object or list metadata. */
function buildRoots(): Map<string, string> {
  const roots = new Map<string, string>();
  for (const [name, fields] of MESSAGES) {
    const dot = name.lastIndexOf('.');
    const apiVersion = API_VERSIONS[name.slice(0, dot)];
    if (!apiVersion) continue;
    const hasMetadata = [...fields.values()].some(
      (f) => f.jsonName === 'metadata' && f.value.kind === 'message' && /^meta\.v1\.(ObjectMeta|ListMeta)$/.test(f.value.message),
    );
    if (hasMetadata) roots.set(`${apiVersion}/${name.slice(dot + 1)}`, name);
  }
  return roots;
}

/** The message a request body of this apiVersion and kind is encoded as, if we know it. */
export function rootMessageFor(apiVersion: string, kind: string): string | undefined {
  const root = ROOTS.get(`${apiVersion}/${kind}`);
  if (root) return root;
  return Object.hasOwn(KINDS_IN_EVERY_GROUP_VERSION, kind) ? KINDS_IN_EVERY_GROUP_VERSION[kind] : undefined;
}
