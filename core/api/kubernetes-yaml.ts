import { parseDocument, visit, type Document, type Tags } from 'yaml';
import { tooDeepMessage, yamlTooDeepAt } from './nesting-depth.ts';

// YAML as Kubernetes reads it (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 scalars, so
// 0755 is octal and `yes` is true, but timestamps stay strings (they are strings in
// every Kubernetes schema); a repeated key is not an error. One rule for request bodies
// (http-io.ts) and manifest files (split-documents.ts), so an object means the same
// whichever way it arrives.

export const KUBERNETES_YAML_OPTIONS = {
  version: '1.1' as const,
  customTags: (tags: Tags): Tags => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
  uniqueKeys: false,
};

/** One YAML document as Kubernetes decodes it; throws the yaml library's error on bad syntax. */
export function parseKubernetesYaml(text: string): unknown {
  const tooDeep = tooDeepYaml(text);
  if (tooDeep) throw new Error(`${tooDeep.message} (at line ${tooDeep.line})`);
  const doc = parseDocument(text, KUBERNETES_YAML_OPTIONS);
  if (doc.errors.length > 0) throw doc.errors[0];
  const loop = selfContainingAnchor(doc);
  if (loop) throw new Error(`${loop.message} (at line ${lineOfOffset(text, loop.offset)})`);
  return doc.toJS();
}

/**
 * Go's YAML decoder refuses an alias inside the node it names ("anchor 'd' value
 * contains itself"); the yaml library would build a circular object that every later
 * step recurses into forever.
 */
export function selfContainingAnchor(doc: Document): { message: string; offset: number } | undefined {
  let found: { message: string; offset: number } | undefined;
  visit(doc, {
    Alias(_key, alias, path) {
      const target = alias.resolve(doc);
      if (target && path.includes(target)) {
        found = { message: `anchor "${alias.source}" value contains itself`, offset: alias.range?.[0] ?? 0 };
        return visit.BREAK;
      }
    },
  });
  return found;
}

/** Why the text cannot be composed safely, and the line where it gets too deep; undefined when it can. */
export function tooDeepYaml(text: string): { message: string; line: number } | undefined {
  const offset = yamlTooDeepAt(text);
  if (offset === undefined) return undefined;
  return { message: tooDeepMessage('the YAML'), line: lineOfOffset(text, offset) };
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}
