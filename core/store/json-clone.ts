// Deep copy of JSON data (what the store holds: objects that came from JSON bodies).
// Several times faster than structuredClone for small objects, which matters when a
// list copies 10,000 of them; it keeps only what JSON keeps (plain objects, arrays,
// primitives).

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
