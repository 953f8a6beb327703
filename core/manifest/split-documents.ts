import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import { KUBERNETES_YAML_OPTIONS, selfContainingAnchor, tooDeepYaml } from '../api/kubernetes-yaml.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { parseFieldPath } from './field-path.ts';

// Turns one manifest file into the objects it holds, each remembering where it came from
// so that an error the API reports on a field can point at the line the user wrote.
// Runs in the browser (the renderer) as well as in Node: no Node imports.

export interface ManifestSource {
  /** File name as shown to the user ("web.yaml", "pasted"). */
  name: string;
  text: string;
}

export interface ManifestDocument {
  file: string;
  /** 1-based line where the document (or the List item) starts. */
  line: number;
  /** The parsed object; absent when the document did not parse. */
  object?: KubeObject;
  parseError?: { message: string; line: number };
  /** 1-based line of a Kubernetes field path (`spec.template.spec.containers[0].image`); the document's line when not found. */
  lineOf(fieldPath: string): number;
}

const YAML_OPTIONS = { ...KUBERNETES_YAML_OPTIONS, prettyErrors: true };

export function splitDocuments(source: ManifestSource): ManifestDocument[] {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const documents: ManifestDocument[] = [];
  // Checked before composing: the composer recurses, and a deep enough file overflows it.
  const tooDeep = tooDeepYaml(source.text);
  if (tooDeep) return [failed(source.name, tooDeep.line, tooDeep.message)];

  for (const doc of parseAllDocuments(source.text, { ...YAML_OPTIONS, lineCounter })) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line ?? lineAt(error.pos[0]);
      documents.push(failed(source.name, line, error.message.split('\n')[0]));
      continue;
    }
    if (doc.contents === null) continue; // empty or only comments
    const start = lineAt(doc.contents.range?.[0] ?? 0);
    const loop = selfContainingAnchor(doc);
    if (loop) {
      documents.push(failed(source.name, lineAt(loop.offset), loop.message));
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      documents.push(failed(source.name, start, e instanceof Error ? e.message : String(e)));
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!isObject(value)) {
      documents.push(failed(source.name, start, 'a manifest document must be an object with apiVersion, kind and metadata'));
      continue;
    }
    if (isListKind(value)) {
      (value.items as unknown[]).forEach((item, index) => {
        const itemNode = doc.getIn(['items', index], true) as YamlNode | undefined;
        const itemLine = itemNode?.range ? lineAt(itemNode.range[0]) : start;
        documents.push(parsed(source.name, itemLine, item, doc, ['items', index], lineAt));
      });
      continue;
    }
    documents.push(parsed(source.name, start, value, doc, [], lineAt));
  }
  return documents;
}

/** `kind: List`, or any `*List` with items (what `kubectl get -o yaml` writes). */
function isListKind(value: Record<string, unknown>): boolean {
  return typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

function parsed(
  file: string,
  line: number,
  value: unknown,
  doc: Document,
  base: (string | number)[],
  lineAt: (offset: number) => number,
): ManifestDocument {
  const lineOf = (fieldPath: string): number => lineOfPath(doc, [...base, ...parseFieldPath(fieldPath)], lineAt) ?? line;
  if (!isObject(value)) return { ...failed(file, line, 'a List item must be an object with apiVersion, kind and metadata'), lineOf };
  const missing = ['apiVersion', 'kind'].filter((field) => typeof value[field] !== 'string' || !value[field]);
  if (missing.length) {
    return { ...failed(file, line, `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required (every document needs apiVersion and kind)`), lineOf };
  }
  const object = { ...value, metadata: isObject(value.metadata) ? value.metadata : {} } as KubeObject;
  return { file, line, object, lineOf };
}

function failed(file: string, line: number, message: string): ManifestDocument {
  return { file, line, parseError: { message, line }, lineOf: () => line };
}

/**
 * Walks the YAML nodes along the path and answers the line of the deepest part found:
 * the key's line for a map entry (where the user reads the field), the item's line in a sequence.
 */
function lineOfPath(doc: Document, path: (string | number)[], lineAt: (offset: number) => number): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const keyRange = (pair.key as YamlNode).range;
      if (keyRange) line = lineAt(keyRange[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as YamlNode | undefined;
      if (!item) break;
      if (item.range) line = lineAt(item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
