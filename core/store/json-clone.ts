// Deep copy and comparison of JSON data (what the store holds: objects that came from
// JSON bodies). The copy is several times faster than structuredClone for small
// objects, which matters when a list copies 10,000 of them; it keeps only what JSON
// keeps (plain objects, arrays, primitives).

export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = cloneJson((value as Record<string, unknown>)[key]);
    // A JSON key "__proto__" is data, not the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
    else out[key] = child;
  }
  return out as T;
}

/** An exact JSON copy of anything (Dates become strings, undefined fields drop), as it will be saved. */
export function toJsonData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Equal as JSON: what the two would store. A field set to undefined is a field left
 * out, and the order of keys does not matter (it does in JSON.stringify, which is why
 * comparing two stringified objects can see a change where there is none).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined array element as null.
    return a.every((item, i) => jsonEqual(item ?? null, b[i] ?? null));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  if (keys.length !== Object.keys(right).filter((key) => right[key] !== undefined).length) return false;
  return keys.every((key) => right[key] !== undefined && jsonEqual(left[key], right[key]));
}
