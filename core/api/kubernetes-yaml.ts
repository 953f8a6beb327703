import { parse, type Tags } from 'yaml';

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
  return parse(text, KUBERNETES_YAML_OPTIONS);
}
