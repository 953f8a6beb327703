// Unknown-field detection for the `fieldValidation` query parameter (Strict / Warn / Ignore).
// Kubernetes finds these while decoding JSON into its Go structs; we walk the parsed object
// against the field names of the kubernetes-types declarations, which
// scripts/generate-known-fields.ts extracts into generated/known-fields.json.
import knownFieldsJson from './generated/known-fields.json' with { type: 'json' };

/** The generated data: `types["<module>#<Interface>"][field] = ref`, `roots["<apiVersion>/<kind>"] = "<module>#<Interface>"`. */
export interface KnownFieldsData {
  types: Record<string, Record<string, string>>;
  roots: Record<string, string>;
}

/** A field's shape after compilation; `null` is free-form (scalars, RawExtension...), never descended into. */
type Shape = StructShape | ListShape | MapShape | null;

interface StructShape {
  readonly kind: 'struct';
  readonly fields: Map<string, Shape>;
}

interface ListShape {
  readonly kind: 'list';
  readonly items: Shape;
}

interface MapShape {
  readonly kind: 'map';
  readonly values: Shape;
}

/** Fields every top-level object accepts even if its type lacks them (a ConfigMap has no status). */
const ALWAYS_KNOWN_TOP_LEVEL = ['apiVersion', 'kind', 'metadata', 'status'] as const;

let compiledRoots: Map<string, StructShape> | undefined;

function compile(data: KnownFieldsData): Map<string, StructShape> {
  // Every struct exists before any field is resolved, so self-referencing types just work.
  const structs = new Map<string, StructShape>();
  for (const ref of Object.keys(data.types)) structs.set(ref, { kind: 'struct', fields: new Map() });

  function shapeOf(ref: string): Shape {
    if (ref === '*') return null;
    if (ref.startsWith('[]')) {
      const items = shapeOf(ref.slice(2));
      return items === null ? null : { kind: 'list', items };
    }
    if (ref.startsWith('{}')) {
      const values = shapeOf(ref.slice(2));
      return values === null ? null : { kind: 'map', values };
    }
    const struct = structs.get(ref);
    if (!struct) throw new Error(`known-fields.json refers to ${ref}, which it does not define; rerun scripts/generate-known-fields.ts`);
    return struct;
  }

  for (const [ref, fields] of Object.entries(data.types)) {
    const target = structs.get(ref)!.fields;
    for (const [field, fieldRef] of Object.entries(fields)) target.set(field, shapeOf(fieldRef));
  }

  const roots = new Map<string, StructShape>();
  for (const [rootKey, ref] of Object.entries(data.roots)) {
    const type = structs.get(ref);
    if (!type) throw new Error(`known-fields.json root ${rootKey} refers to undefined ${ref}`);
    // A copy, so a kind that is also nested somewhere (a PVC in a StatefulSet) keeps its real fields there.
    const fields = new Map(type.fields);
    for (const field of ALWAYS_KNOWN_TOP_LEVEL) {
      if (!fields.has(field)) fields.set(field, field === 'metadata' ? shapeOf('meta/v1#ObjectMeta') : null);
    }
    roots.set(rootKey, { kind: 'struct', fields });
  }
  return roots;
}

function rootShape(apiVersion: string, kind: string): StructShape | undefined {
  compiledRoots ??= compile(knownFieldsJson as KnownFieldsData);
  return compiledRoots.get(`${apiVersion}/${kind}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kubernetes' path syntax: `spec.template.spec.containers[0].image`, map keys as `.key`. */
function formatPath(segments: readonly (string | number)[], last: string): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path === '' ? last : `${path}.${last}`;
}

/**
 * Walks with one shared segment stack and builds a path string only for a finding, so a
 * valid object (the usual case) allocates nothing per field.
 */
class UnknownFieldWalker {
  readonly found: string[] = [];
  private readonly segments: (string | number)[] = [];

  constructor(private readonly prune: boolean) {}

  walk(value: unknown, shape: Shape): void {
    if (shape === null || value === null || typeof value !== 'object') return;
    // A value of the wrong JSON type is a validation error, not an unknown field: skip it.
    switch (shape.kind) {
      case 'struct':
        if (isPlainObject(value)) this.walkStruct(value, shape);
        return;
      case 'list':
        if (!Array.isArray(value)) return;
        for (let i = 0; i < value.length; i++) this.descend(i, value[i], shape.items);
        return;
      case 'map':
        if (!isPlainObject(value)) return;
        for (const key of Object.keys(value)) this.descend(key, value[key], shape.values);
        return;
    }
  }

  walkStruct(value: Record<string, unknown>, shape: StructShape): void {
    for (const key of Object.keys(value)) {
      const field = shape.fields.get(key);
      if (field === undefined) {
        this.report(key);
        if (this.prune) delete value[key];
      } else if (field !== null) this.descend(key, value[key], field);
    }
  }

  private descend(segment: string | number, value: unknown, shape: Shape): void {
    if (shape === null || value === null || typeof value !== 'object') return;
    this.segments.push(segment);
    this.walk(value, shape);
    this.segments.pop();
  }

  private report(key: string): void {
    const path = formatPath(this.segments, key);
    // A map key containing dots can spell the same path as a nested field; report it once.
    if (!this.found.includes(path)) this.found.push(path);
  }
}

/**
 * Paths of the fields in `obj` that its kind does not define, in document order, as
 * Kubernetes reports them (`spec.replica`, `spec.template.spec.containers[0].imagePullPolcy`).
 * Map keys (labels, ConfigMap data, resource limits) are free; map values are checked
 * against their type. A kind this server does not serve has no unknown fields: [].
 * With `prune`, the unknown fields are also deleted from `obj`, as Kubernetes drops
 * them when it decodes into its types.
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown, options: { prune?: boolean } = {}): string[] {
  const root = rootShape(apiVersion, kind);
  if (!root || !isPlainObject(obj)) return [];
  const walker = new UnknownFieldWalker(options.prune ?? false);
  walker.walkStruct(obj, root);
  return walker.found;
}

/**
 * The message of the 400 BadRequest for fieldValidation=Strict, word for word:
 * `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"`.
 * `version` is the version without its group (`v1`); an `apps/v1` is reduced to that.
 */
export function strictDecodingError(kind: string, version: string, fields: string[]): string {
  const bareVersion = version.slice(version.lastIndexOf('/') + 1);
  const errors = fields.map((field) => `unknown field ${goQuote(field)}`).join(', ');
  return `${kind} in version ${goQuote(bareVersion)} cannot be handled as a ${kind}: strict decoding error: ${errors}`;
}

/**
 * The `Warning` header value for one unknown field under fieldValidation=Warn:
 * `299 - "unknown field \"spec.replica\""`. Non-ASCII text is returned as its UTF-8 bytes
 * in a latin1 string, which is what Node's setHeader writes byte for byte: the bytes on
 * the wire are Kubernetes' own and setHeader never rejects the value.
 */
export function unknownFieldWarning(path: string): string {
  const text = `unknown field ${goQuote(path)}`;
  const value = `299 - "${text.replace(/["\\]/g, '\\$&')}"`;
  return /^[\x20-\x7e]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
}

const GO_SHORT_ESCAPES: Record<string, string> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\',
};

/** Go's `%q` (strconv.Quote): the messages must match Kubernetes' byte for byte. */
function goQuote(text: string): string {
  // Go keeps letters, marks, numbers, punctuation, symbols and the ASCII space; it escapes the rest.
  const escaped = text.replace(/["\\]|[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, (char) => {
    const short = GO_SHORT_ESCAPES[char];
    if (short) return short;
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
    if (code >= 0xd800 && code <= 0xdfff) return '\ufffd'; // Go's JSON decoder turns a lone surrogate into U+FFFD, printed as is
    return code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
  });
  return `"${escaped}"`;
}
