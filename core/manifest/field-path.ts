// Kubernetes field paths as the API reports them (`spec.containers[0].image`,
// `metadata.labels[app.kubernetes.io/name]`) split into keys and indexes.

export function parseFieldPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const char = path[i];
    if (char === '.') {
      if (current) segments.push(current);
      current = '';
    } else if (char === '[') {
      if (current) segments.push(current);
      current = '';
      const end = path.indexOf(']', i);
      const inside = end < 0 ? path.slice(i + 1) : path.slice(i + 1, end);
      segments.push(/^\d+$/.test(inside) ? Number(inside) : inside);
      i = end < 0 ? path.length : end;
    } else {
      current += char;
    }
  }
  if (current) segments.push(current);
  return segments;
}

/** The field an error names: the first cause's field, else one quoted in a strict-decoding message. */
export function fieldOfError(message: string, causes: { field?: string }[] | undefined): string | undefined {
  const fromCause = causes?.find((cause) => cause.field)?.field;
  if (fromCause) return fromCause;
  return /(?:unknown|duplicate) field "([^"]+)"/.exec(message)?.[1];
}
