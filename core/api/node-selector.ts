import type { Node, NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1.js';

// Kubernetes' NodeSelectorTerm matching (nodeSelectorTerms in node affinity, DaemonSet
// placement, PersistentVolume node affinity): one implementation for every user.

/** Gt/Lt compare the label and the one value as integers; anything unparseable never matches. */
function parseInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text.trim())) return undefined;
  return Number(text);
}

function requirementMatches(requirement: NodeSelectorRequirement, values: Record<string, string>): boolean {
  const has = Object.hasOwn(values, requirement.key);
  const value = values[requirement.key];
  const wanted = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return has && wanted.includes(value);
    case 'NotIn':
      return !has || !wanted.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const actual = parseInteger(has ? value : undefined);
      const bound = wanted.length === 1 ? parseInteger(wanted[0]) : undefined;
      if (actual === undefined || bound === undefined) return false;
      return requirement.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions (labels) and fields (metadata.name) do; an empty term matches nothing. */
export function nodeMatchesSelectorTerm(term: NodeSelectorTerm, node: Pick<Node, 'metadata'>): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  return expressions.every((r) => requirementMatches(r, labels)) && fields.every((r) => requirementMatches(r, nodeFields));
}
